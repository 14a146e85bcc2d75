"""A case from the cases topic reaches an agent, who accepts, replies, resolves and wraps up."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseOffered,
    CaseQueued,
    CaseResolved,
)
from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration


async def offered_to(replica, agent_id: str, case_id: str) -> bool:
    return any(
        case["case_id"] == case_id and case["state"] == "offered"
        for case in await replica.work(agent_id)
    )


async def test_a_case_is_offered_accepted_replied_resolved_and_published(stack, start_replica):
    replica = await start_replica()
    expert, novice = unique("expert"), unique("novice")
    await replica.hire(expert, skills={"billing": 8})
    await replica.hire(novice, skills={"billing": 2})
    for agent_id in (novice, expert):
        assert (await replica.presence(agent_id, "available")).status_code == 200
    policy = {
        "policies": [
            {
                "name": "billing",
                "when": 'case.department == "billing"',
                "steps": [{"requires": "billing >= 5", "timeout_seconds": 60}],
            }
        ]
    }
    response = await replica.client.put("/v1/policies", json=policy, headers=replica.admin)
    assert response.status_code == 200, response.text
    case_id = unique("case")

    await stack.open_case(case_id, department="billing")

    assert await eventually(lambda: offered_to(replica, expert, case_id), timeout=20)
    view = (await replica.client.get(f"/v1/cases/{case_id}", headers=replica.admin)).json()
    assert view["explanation"]["requirement"] == "billing >= 5"
    assert view["explanation"]["matched"] == ["billing >= 5"]
    assert (await replica.act(expert, case_id, "accept")).status_code == 200
    for message in ("m1", "m2"):
        response = await replica.act(expert, case_id, "replies", {"message_id": message})
        assert response.status_code == 200, response.text
    resolved = await replica.act(expert, case_id, "resolve", {"resolution_code": "refunded"})
    assert resolved.json()["state"] == "wrap_up"
    assert (await replica.act(expert, case_id, "wrap-up/finish")).json()["state"] == "done"
    agent = (await replica.client.get(f"/v1/agents/{expert}", headers=replica.admin)).json()
    assert agent["load"] == {"chat": 0}

    events = await stack.assignment_events({case_id}, expect=6)
    kinds = [type(event) for event in events]
    assert kinds == [
        CaseQueued,
        CaseOffered,
        CaseAssigned,
        AgentReplied,
        AgentReplied,
        CaseResolved,
    ]
    offered = events[1]
    assert offered.agent_id == expert
    assert offered.explanation.runner_up.id is None
    assert [reply.is_first_response for reply in events[3:5]] == [True, False]
    assert events[5].resolution_code == "refunded"
    assert events[5].first_contact_resolution is True


async def test_a_transfer_moves_the_case_to_another_region_keeping_its_age(stack, start_replica):
    replica = await start_replica()
    nordic, german = unique("nordic"), unique("german")
    await replica.hire(nordic)
    await replica.hire(german, region="dach", languages=["de", "da"])
    await replica.presence(nordic, "available")
    case_id = unique("case")
    await stack.open_case(case_id)
    assert await eventually(lambda: offered_to(replica, nordic, case_id), timeout=20)
    await replica.act(nordic, case_id, "accept")

    moved = await replica.act(nordic, case_id, "transfer", {"region": "dach", "note": "German"})

    assert moved.status_code == 200, moved.text
    assert moved.json()["pool"] == "dach"
    await replica.presence(german, "available")
    assert await eventually(lambda: offered_to(replica, german, case_id), timeout=20)
    events = await stack.assignment_events({case_id}, expect=6)
    queued = [e for e in events if isinstance(e, CaseQueued)]
    assert [e.reason.value for e in queued] == ["new", "transfer"]
    assert queued[0].enqueued_at == queued[1].enqueued_at
    assert queued[1].queue_id == "dach"
    assert [type(e).__name__ for e in events].count("CaseTransferred") == 1


async def test_a_transfer_to_a_queue_and_then_to_a_named_agent(stack, start_replica):
    replica = await start_replica()
    first, vip, named = unique("first"), unique("vip"), unique("named")
    queue = unique("vip-queue")
    await replica.hire(first)
    await replica.hire(vip, pools=[queue])
    await replica.hire(named, pools=["elsewhere", "nordics"])
    await replica.presence(first, "available")
    case_id = unique("case")
    await stack.open_case(case_id)
    assert await eventually(lambda: offered_to(replica, first, case_id), timeout=20)
    await replica.act(first, case_id, "accept")

    unknown = await replica.act(first, case_id, "transfer", {"queue": f"{queue}-not"})
    assert unknown.status_code == 404, unknown.text
    queued = await replica.act(first, case_id, "transfer", {"queue": queue})
    assert queued.status_code == 200, queued.text
    await replica.presence(vip, "available")
    assert await eventually(lambda: offered_to(replica, vip, case_id), timeout=20)
    await replica.act(vip, case_id, "accept")
    offline = await replica.act(vip, case_id, "transfer", {"agent": named})
    assert offline.status_code == 409, offline.text
    await replica.presence(named, "available")
    moved = await replica.act(vip, case_id, "transfer", {"agent": named})

    assert moved.status_code == 200, moved.text
    assert moved.json()["pool"] == "nordics", "the named agent's region's pool"
    assert await eventually(lambda: offered_to(replica, named, case_id), timeout=20)


async def test_a_restarted_replica_rebuilds_its_index_from_the_database(stack, start_replica):
    first = await start_replica("routing-a")
    case_ids = [unique("case") for _ in range(3)]
    for priority, case_id in zip((4, 1, 3), case_ids, strict=True):
        await stack.open_case(case_id, priority=priority)

    async def all_queued():
        views = [await first.client.get(f"/v1/cases/{c}", headers=first.admin) for c in case_ids]
        return all(view.status_code == 200 for view in views)

    assert await eventually(all_queued, timeout=20)
    await first.client.aclose()
    await first.service.runtime.stop()
    stack.replicas.remove(first)

    second = await start_replica("routing-b")
    agent_id = unique("agent")
    await second.hire(agent_id, capacity={"chat": 1})
    await second.presence(agent_id, "available")

    assert await eventually(lambda: offered_to(second, agent_id, case_ids[1]), timeout=20)


async def test_a_step_times_out_and_the_broader_step_finds_an_agent(stack, start_replica):
    replica = await start_replica()
    generalist = unique("generalist")
    await replica.hire(generalist, skills={"billing": 2})
    await replica.presence(generalist, "available")
    policy = {
        "policies": [
            {
                "name": "expert-first",
                "steps": [{"requires": "billing >= 9", "timeout_seconds": 1}],
                "fallback": "billing >= 1",
            }
        ]
    }
    assert (await replica.client.put("/v1/policies", json=policy, headers=replica.admin)).is_success
    case_id = unique("case")

    await stack.open_case(case_id)

    assert await eventually(lambda: offered_to(replica, generalist, case_id), timeout=20)
    view = (await replica.client.get(f"/v1/cases/{case_id}", headers=replica.admin)).json()
    assert view["explanation"]["step_index"] == 1
    assert view["explanation"]["requirement"] == "billing >= 1"
    events = await stack.assignment_events({case_id}, expect=3)
    queued = [e for e in events if isinstance(e, CaseQueued)]
    assert [(e.reason.value, e.step_index) for e in queued] == [("new", 0), ("overflow", 1)]


async def test_a_returning_customer_is_offered_to_their_last_agent_first(stack, start_replica):
    replica = await start_replica()
    last, longest_idle = unique("last"), unique("idle")
    await replica.hire(last)
    assert (await replica.presence(last, "available")).status_code == 200
    customer = unique("customer")
    first_case = unique("case")
    await stack.open_case(first_case, customer_id=customer)
    assert await eventually(lambda: offered_to(replica, last, first_case), timeout=20)
    assert (await replica.act(last, first_case, "accept")).status_code == 200
    await replica.hire(longest_idle)  # idle from now on: longer than ``last`` will be
    assert (await replica.presence(longest_idle, "available")).status_code == 200
    await replica.act(last, first_case, "resolve", {"resolution_code": "answered"})
    assert (await replica.act(last, first_case, "wrap-up/finish")).json()["state"] == "done"

    second_case = unique("case")
    await stack.open_case(second_case, customer_id=customer)

    assert await eventually(lambda: offered_to(replica, last, second_case), timeout=20)
    view = (await replica.client.get(f"/v1/cases/{second_case}", headers=replica.admin)).json()
    assert view["explanation"]["step_name"] == "preferred agent"


async def test_two_cases_of_one_customer_resolved_at_once_both_succeed(stack, start_replica):
    """Both resolutions record the customer's last agent; the row did not exist before,
    so a lock on it could not order them (one of them used to fail with a 500)."""
    replica = await start_replica()
    first, second = unique("agent-a"), unique("agent-b")
    for agent_id in (first, second):
        await replica.hire(agent_id, skills={"support": 5}, capacity={"chat": 1})
        assert (await replica.presence(agent_id, "available")).status_code == 200
    customer = unique("customer")
    cases = [unique("case"), unique("case")]
    for case_id in cases:
        await stack.open_case(case_id, customer_id=customer)

    async def holders() -> dict[str, str] | None:
        found = {
            case["case_id"]: agent_id
            for agent_id in (first, second)
            for case in await replica.work(agent_id)
            if case["state"] == "offered"
        }
        return found if set(found) == set(cases) else None

    assert await eventually(holders, timeout=20)
    holder = await holders()
    assert holder is not None
    for case_id, agent_id in holder.items():
        assert (await replica.act(agent_id, case_id, "accept")).status_code == 200

    resolved = await asyncio.gather(
        *(
            replica.act(agent_id, case_id, "resolve", {"resolution_code": "solved"})
            for case_id, agent_id in holder.items()
        )
    )
    assert [response.status_code for response in resolved] == [200, 200], [
        response.text for response in resolved
    ]
