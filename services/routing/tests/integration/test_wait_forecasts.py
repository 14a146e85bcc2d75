"""Wait forecasts on PostgreSQL and Kafka: cases waiting in a pool nobody serves are told,
once each, on the assignments topic that no offer is in sight; an agent who takes one
brings the rest's offers into sight at the pace measured."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.contracts.events import CaseWaitEstimated
from switchboard.servicekit.testing.helpers import eventually

from .conftest import unique

pytestmark = pytest.mark.integration


async def test_waiting_cases_hear_when_their_offer_comes(stack, start_replica):
    replica = await start_replica(wait_forecast_check_seconds=0.2)
    region, agent = unique("unserved"), unique("agent")
    cases = [unique("case") for _ in range(3)]
    for case_id in cases:
        await stack.open_case(case_id, region=region)

    async def estimates() -> list[CaseWaitEstimated]:
        events = await stack.assignment_events(set(cases), expect=0)
        return [event for event in events if isinstance(event, CaseWaitEstimated)]

    async def all_told() -> bool:
        return len(await estimates()) >= 3

    assert await eventually(all_told, timeout=30)
    await asyncio.sleep(1.0)  # later checks: nothing moved, nothing said
    told = await estimates()
    assert len(told) == 3
    assert sorted(e.position for e in told) == [0, 1, 2]
    assert {(e.queue_id, e.region, e.served_per_minute) for e in told} == {(region, region, 0.0)}
    assert all(e.expected_offer_at is None for e in told)

    await replica.hire(agent, region=region, capacity={"chat": 1})
    assert (await replica.presence(agent, "available")).status_code == 200

    async def offered() -> list[str]:
        return [case["case_id"] for case in await replica.work(agent)]

    assert await eventually(offered, timeout=20)
    [first] = await offered()
    assert (await replica.act(agent, first, "accept")).status_code == 200

    async def in_sight() -> list[CaseWaitEstimated]:
        return [e for e in await estimates() if e.expected_offer_at is not None]

    assert await eventually(in_sight, timeout=30)
    await asyncio.sleep(1.0)
    seen = await in_sight()
    assert {e.case_id for e in seen} == set(cases) - {first}
    assert [e.served_per_minute for e in seen] == pytest.approx([1 / 5] * 2)  # 1, over 5 min
    assert sorted(e.position for e in seen) == [0, 1]
