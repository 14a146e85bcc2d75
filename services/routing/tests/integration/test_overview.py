"""The coordinator console's lists: agents and per-pool queue counts, scoped by the token."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration


def assert_problem(response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_agents_are_listed_by_id_within_the_callers_regions(stack, start_replica):
    replica = await start_replica()
    client = replica.client
    anna, bo, carl = "agent-a-" + unique("n"), "agent-b-" + unique("d"), "agent-c-" + unique("n")
    await replica.hire(carl)
    await replica.hire(anna)
    await replica.hire(bo, region="dach", languages=["de"])
    await replica.presence(anna, "available")
    nordics = replica.headers("coordinator-1", "coordinator", ("nordics",))

    async def ids(headers, **params) -> list[str]:
        response = await client.get("/v1/agents", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [agent["id"] for agent in response.json()]

    assert await ids(replica.admin) == [anna, bo, carl]
    assert await ids(replica.admin, region="dach") == [bo]
    assert await ids(nordics) == [anna, carl]
    assert await ids(nordics, region="nordics", presence="available") == [anna]
    assert await ids(nordics, presence="offline") == [carl]
    assert await ids(replica.admin, limit=2) == [anna, bo]
    both = replica.headers("coordinator-2", "coordinator", ("nordics", "dach"))
    assert await ids(both) == [anna, bo, carl]
    assert await ids(replica.headers("coordinator-3", "coordinator")) == []
    listed = (await client.get("/v1/agents", params={"limit": 1}, headers=nordics)).json()[0]
    assert (listed["region"], listed["presence"]) == ("nordics", "available")
    assert set(listed) >= {"id", "team", "pools", "skills", "capacity", "load", "idle_since"}

    assert_problem(await client.get("/v1/agents", params={"region": "dach"}, headers=nordics), 403)
    assert_problem(await client.get("/v1/agents", headers=replica.headers(anna)), 403)
    assert_problem(await client.get("/v1/agents"), 401)
    for bad in ({"presence": "asleep"}, {"limit": 0}, {"limit": 1001}, {"region": "Not A"}):
        assert_problem(await client.get("/v1/agents", params=bad, headers=replica.admin), 422)


async def test_queues_count_waiting_offered_and_assigned_cases_per_pool(stack, start_replica):
    replica = await start_replica()
    client = replica.client
    agent_id = unique("agent")
    await replica.hire(agent_id, capacity={"chat": 2})
    await replica.presence(agent_id, "available")
    first, second = unique("case"), unique("case")
    for case_id in (first, second):
        await stack.open_case(case_id)

    async def both_offered() -> bool:
        work = await replica.work(agent_id)
        return sorted(case["case_id"] for case in work) == sorted((first, second))

    assert await eventually(both_offered, timeout=20)
    assert (await replica.act(agent_id, first, "accept")).status_code == 200
    oldest = datetime.now(UTC) - timedelta(minutes=10)
    await stack.open_case(unique("case"), opened_at=oldest)
    await stack.open_case(unique("case"), opened_at=oldest + timedelta(minutes=5))
    await stack.open_case(unique("case"), region="dach", language="de")

    async def queues(headers, **params) -> list[dict]:
        response = await client.get("/v1/queues", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return response.json()

    async def all_queued() -> bool:
        return sum(entry["waiting"] for entry in await queues(replica.admin)) == 3

    assert await eventually(all_queued, timeout=20)
    everything = await queues(replica.admin)
    assert [(e["region"], e["pool"]) for e in everything] == [
        ("dach", "dach"),
        ("nordics", "nordics"),
    ]
    dach, nordics = everything
    assert {k: v for k, v in nordics.items() if k != "oldest_waiting_since"} == {
        "region": "nordics",
        "pool": "nordics",
        "waiting": 2,
        "offered": 1,
        "assigned": 1,
    }
    assert datetime.fromisoformat(nordics["oldest_waiting_since"]) == oldest
    assert (dach["waiting"], dach["offered"], dach["assigned"]) == (1, 0, 0)

    coordinator = replica.headers("coordinator-1", "coordinator", ("nordics",))
    assert await queues(coordinator) == [nordics]
    assert await queues(replica.admin, region="dach") == [dach]
    assert await queues(replica.admin, region="baltics") == []
    assert_problem(
        await client.get("/v1/queues", params={"region": "dach"}, headers=coordinator), 403
    )
    assert_problem(await client.get("/v1/queues", headers=replica.headers(agent_id)), 403)

    resolved = await replica.act(agent_id, first, "resolve", {"resolution_code": "done"})
    assert resolved.json()["state"] == "wrap_up"
    (after,) = await queues(coordinator)
    assert (after["waiting"], after["offered"], after["assigned"]) == (2, 1, 0)
