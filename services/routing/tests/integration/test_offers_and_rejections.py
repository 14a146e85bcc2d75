"""Offers that expire or are declined, agents going offline, and bad requests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from switchboard.contracts.envelope import decode
from switchboard.contracts.events import (
    REGISTRY,
    AgentStatusChanged,
    CaseQueued,
    OfferDeclined,
    OfferExpired,
)
from switchboard.contracts.topics import AGENT_STATUS
from switchboard.servicekit.testing.helpers import eventually, read_topic

from .conftest import unique

pytestmark = pytest.mark.integration


async def holder(replica, agents, case_id):
    for agent_id in agents:
        for case in await replica.work(agent_id):
            if case["case_id"] == case_id:
                return agent_id, case["state"]
    return None


async def one_agent_offered_one_case(stack, replica) -> tuple[str, str]:
    """A new agent, available, and a new case offered to them."""
    agent_id = unique("agent")
    await replica.hire(agent_id)
    await replica.presence(agent_id, "available")
    case_id = unique("case")
    await stack.open_case(case_id)
    assert await eventually(lambda: holder(replica, [agent_id], case_id), timeout=20)
    return agent_id, case_id


async def test_an_expired_offer_sets_the_agent_away_and_goes_to_someone_else(
    stack, start_replica, tmp_path: Path
):
    policies = tmp_path / "policies.yaml"
    policies.write_text(
        "policies:\n"
        "  - name: quick\n"
        "    steps: []\n"
        "    fallback: 'true'\n"
        "    offer_timeout_seconds: 1\n"
    )
    replica = await start_replica(policies_file=policies)
    sleepy, other = unique("sleepy"), unique("other")
    for agent_id in (sleepy, other):
        await replica.hire(agent_id)
        await replica.presence(agent_id, "available")
    case_id = unique("case")
    await stack.open_case(case_id)

    first = await eventually(lambda: holder(replica, [sleepy, other], case_id), timeout=20)
    assert first is not None
    assert first[1] == "offered"
    ignored_by = first[0]
    second_holder = next(a for a in (sleepy, other) if a != ignored_by)

    async def moved_on():
        found = await holder(replica, [second_holder], case_id)
        return found if found and found[0] == second_holder else None

    assert await eventually(moved_on, timeout=20)
    lazy = (await replica.client.get(f"/v1/agents/{ignored_by}", headers=replica.admin)).json()
    assert lazy["presence"] == "away"
    assert lazy["load"] == {"chat": 0}
    declined = await replica.act(second_holder, case_id, "decline", {"reason": "busy"})
    assert declined.status_code == 200
    assert declined.json()["state"] == "waiting", "both agents are now excluded"

    events = await stack.assignment_events({case_id}, expect=5)
    expired = [e for e in events if isinstance(e, OfferExpired)]
    assert [e.agent_id for e in expired] == [ignored_by]
    assert [e.agent_id for e in events if isinstance(e, OfferDeclined)] == [second_holder]
    reasons = [e.reason.value for e in events if isinstance(e, CaseQueued)]
    assert reasons[:2] == ["new", "offer_expired"]
    assert reasons[-1] == "offer_declined"
    statuses = await read_topic(stack.kafka, AGENT_STATUS.name, expect=10**9, timeout=3.0)
    assert any(record.key.decode() == ignored_by for record in statuses)


async def test_an_agents_load_changes_are_announced_on_the_agent_status_topic(stack, start_replica):
    replica = await start_replica()
    agent_id, case_id = await one_agent_offered_one_case(stack, replica)
    declined = await replica.act(agent_id, case_id, "decline", {"reason": "busy"})
    assert declined.status_code == 200, declined.text

    async def chat_loads() -> list[int] | None:
        records = await read_topic(stack.kafka, AGENT_STATUS.name, expect=10**9, timeout=2.0)
        loads = []
        for record in records:
            if record.key.decode() != agent_id:
                continue
            status = decode(REGISTRY, record.value, list(record.headers)).data
            assert isinstance(status, AgentStatusChanged)
            if status.reason == "load changed":
                assert status.presence == status.previous_presence
                loads += [c.load for c in status.channels if c.channel == "chat"]
        return loads if len(loads) >= 2 else None

    assert await eventually(chat_loads, timeout=20) == [1, 0], "offered, then declined"


async def test_going_offline_returns_unaccepted_offers_to_the_queue(stack, start_replica):
    replica = await start_replica()
    agent_id, case_id = await one_agent_offered_one_case(stack, replica)

    assert (await replica.presence(agent_id, "offline")).status_code == 200

    view = (await replica.client.get(f"/v1/cases/{case_id}", headers=replica.admin)).json()
    assert view["state"] == "waiting"
    assert view["queue_position"] == 0 or view["queue_position"] is None
    await replica.presence(agent_id, "available")
    back = await eventually(lambda: holder(replica, [agent_id], case_id), timeout=20)
    assert back == (agent_id, "offered"), "going offline does not exclude the agent"


async def test_bad_requests_get_problem_details_never_a_server_error(stack, start_replica):
    replica = await start_replica()
    agent_id = unique("agent")
    await replica.hire(agent_id)
    client = replica.client

    anonymous = await client.get(f"/v1/agents/{agent_id}")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"].startswith("application/problem+json")
    forged = await client.get(
        f"/v1/agents/{agent_id}", headers={"Authorization": "Bearer not-a-token"}
    )
    assert forged.status_code == 401
    other = await client.get(f"/v1/agents/{agent_id}", headers=replica.headers("someone-else"))
    assert other.status_code == 403
    nordics = replica.headers("coordinator-1", "coordinator", ("nordics",))
    dach = replica.headers("coordinator-2", "coordinator", ("dach",))
    assert (await client.get(f"/v1/agents/{agent_id}", headers=nordics)).status_code == 200
    assert (await client.get(f"/v1/agents/{agent_id}/work", headers=nordics)).status_code == 200
    assert (await client.get(f"/v1/agents/{agent_id}", headers=dach)).status_code == 403
    assert (await client.get(f"/v1/agents/{agent_id}/work", headers=dach)).status_code == 403
    acting_for = await client.put(
        f"/v1/agents/{agent_id}/presence", json={"presence": "away"}, headers=nordics
    )
    assert acting_for.status_code == 403
    not_admin = await client.put(
        "/v1/policies", json={"policies": []}, headers=replica.headers(agent_id)
    )
    assert not_admin.status_code == 403

    bad_policy = {
        "policies": [{"name": "p", "steps": [{"requires": "billing >= ", "timeout_seconds": 5}]}]
    }
    rejected = await client.put("/v1/policies", json=bad_policy, headers=replica.admin)
    assert rejected.status_code == 422
    problem = rejected.json()
    assert problem["where"] == "policies[0].steps[0].requires"
    assert problem["column"] == 12

    bad_profile = await client.put(
        f"/v1/agents/{agent_id}",
        json={"region": "Nordics!", "skills": {"billing": 11}},
        headers=replica.admin,
    )
    assert bad_profile.status_code == 422
    assert {error["field"] for error in bad_profile.json()["errors"]} >= {
        "region",
        "skills.billing",
    }
    too_long = await client.put(
        f"/v1/agents/{'x' * 200}", json={"region": "a"}, headers=replica.admin
    )
    assert too_long.status_code == 422
    nul = await client.get("/v1/agents/%00", headers=replica.admin)  # PostgreSQL stores no NUL
    assert nul.status_code == 422, nul.text
    assert nul.json()["errors"][0]["field"] == "agent_id"
    lone_surrogate = await client.put(  # "\ud800" is valid JSON, but no Unicode text
        "/v1/policies",
        content=json.dumps({"policies": [{"name": "p\ud800", "steps": [], "fallback": "true"}]}),
        headers={**replica.admin, "content-type": "application/json"},
    )
    assert lone_surrogate.status_code == 422, lone_surrogate.text
    bad_presence = await replica.presence(agent_id, "sleeping")
    assert bad_presence.status_code == 422
    unknown = await replica.act(agent_id, "no-such-case", "accept")
    assert unknown.status_code == 404
    transfer_nowhere = await replica.act(agent_id, "no-such-case", "transfer", {})
    assert transfer_nowhere.status_code == 422
    case_id = unique("case")
    await stack.open_case(case_id)
    await eventually(lambda: client.get(f"/v1/cases/{case_id}", headers=replica.admin), timeout=5)
    not_offered = await replica.act(agent_id, case_id, "resolve", {})
    assert not_offered.status_code in (404, 409)
