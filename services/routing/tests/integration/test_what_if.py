"""What-if on a real broker and PostgreSQL: a short day made through routing's API is read
back from its topics by POST /v1/what-if and replayed with the policies in force; the
replay's waits are the recorded ones within 10 %.

The replay has none of the platform's own latency: here, on a loaded machine, 0.2-0.3 s
from a slot freed to the next offer committed. Each case is held 4 s so that the waits are
long beside it, as a real day's are."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration

HOLD_SECONDS = 4.0


async def offered(replica, agent_id: str) -> str | None:
    found = [case["case_id"] for case in await replica.work(agent_id) if case["state"] == "offered"]
    return found[0] if found else None


async def test_a_short_day_replays_to_its_recorded_waits(stack, start_replica):
    replica = await start_replica()
    region, agent = unique("wi"), unique("agent")
    await replica.hire(agent, region=region, capacity={"phone": 1})
    assert (await replica.presence(agent, "available")).status_code == 200
    cases = [unique("case") for _ in range(3)]
    for case_id in cases:
        await stack.open_case(case_id, region=region, channel="phone")
    for _ in cases:  # one at a time: the agent holds a phone case alone
        assert await eventually(lambda: offered(replica, agent), timeout=20)
        case_id = await offered(replica, agent)
        assert (await replica.act(agent, case_id, "accept")).status_code == 200
        await asyncio.sleep(HOLD_SECONDS)
        resolved = await replica.act(agent, case_id, "resolve", {"resolution_code": "ok"})
        assert resolved.status_code == 200, resolved.text
        assert (await replica.act(agent, case_id, "wrap-up/finish")).status_code == 200

    body = {
        "start": (stack.started_at - timedelta(seconds=1)).isoformat(),
        "end": (datetime.now(UTC) + timedelta(seconds=1)).isoformat(),
        "alternatives": [{"name": "plus one", "staffing": [f"{region}:+1"]}],
    }

    answer = await replica.client.post("/v1/what-if", json=body, headers=replica.admin)

    assert answer.status_code == 200, answer.text
    result = answer.json()
    runs = {run["name"]: {p["pool"]: p for p in run["pools"]} for run in result["alternatives"]}
    assert list(runs) == ["recorded", "as recorded", "plus one"]
    recorded, again, more = (runs[name][region] for name in runs)
    assert recorded["visits"] == recorded["offered"] == again["offered"] == 3
    assert recorded["wait_mean"] > 0  # the second and third waited for the first two
    print(f"mean wait recorded {recorded['wait_mean']:.3f} s, replayed {again['wait_mean']:.3f} s")
    assert again["wait_mean"] == pytest.approx(recorded["wait_mean"], rel=0.10)
    assert more["agents"] == 2
    assert more["wait_mean"] < again["wait_mean"]
    assert result["alternatives"][1]["answers_assumed"] == 0


async def test_what_if_is_for_coordinators_and_admins_and_checks_its_alternatives(
    stack, start_replica
):
    replica = await start_replica()
    start = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    agent = await replica.client.post(
        "/v1/what-if", json={"start": start}, headers=replica.headers("someone")
    )
    assert agent.status_code == 403
    bad = {"start": start, "alternatives": [{"name": "x", "policies_yaml": "policies: 3"}]}
    refused = await replica.client.post("/v1/what-if", json=bad, headers=replica.admin)
    assert refused.status_code == 422, refused.text
    too_long = {"start": (datetime.now(UTC) - timedelta(days=3)).isoformat()}
    refused = await replica.client.post("/v1/what-if", json=too_long, headers=replica.admin)
    assert refused.status_code == 422
