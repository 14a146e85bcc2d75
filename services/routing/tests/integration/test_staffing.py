"""The staffing advisor on PostgreSQL and Kafka: a pool whose only agent leaves is
announced short on the staffing topic, with the handle time its resolved case took; and
the next intervals forecast from yesterday's arrivals as PostgreSQL counts them."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.contracts.envelope import decode
from switchboard.contracts.events import REGISTRY, StaffingShortfall
from switchboard.contracts.topics import STAFFING
from switchboard.routing.domain.staffing_forecast import next_intervals
from switchboard.servicekit.testing.helpers import eventually, read_topic
from switchboard.servicekit.testing.topics import create_topics

from .conftest import unique

pytestmark = pytest.mark.integration


async def test_a_pool_left_without_agents_is_announced_short(stack, start_replica):
    await create_topics(stack.kafka, [STAFFING.name], partitions=3)
    replica = await start_replica(staffing_check_seconds=0.2)
    region, agent, case_id = unique("staffed"), unique("agent"), unique("case")
    await replica.hire(agent, region=region)
    assert (await replica.presence(agent, "available")).status_code == 200
    await stack.open_case(case_id, region=region)

    async def offered() -> bool:
        return any(case["case_id"] == case_id for case in await replica.work(agent))

    assert await eventually(offered, timeout=20)
    assert (await replica.act(agent, case_id, "accept")).status_code == 200
    await asyncio.sleep(1.0)
    resolved = await replica.act(agent, case_id, "resolve", {"resolution_code": "done"})
    assert resolved.status_code == 200, resolved.text
    await asyncio.sleep(1.0)  # assessed while staffed: one agent for a tiny load, not short
    assert (await replica.presence(agent, "offline")).status_code == 200

    async def shortfalls() -> list[StaffingShortfall]:
        records = await read_topic(stack.kafka, STAFFING.name, expect=10**9, timeout=1.0)
        events = [
            decode(REGISTRY, record.value, list(record.headers)).data
            for record in records
            if record.key == region.encode()
        ]
        return [event for event in events if isinstance(event, StaffingShortfall)]

    assert await eventually(shortfalls, timeout=30)
    await asyncio.sleep(1.0)  # later checks in the same interval announce nothing more
    [short] = await shortfalls()
    assert (short.pool, short.region, short.arrivals) == (region, region, 1)
    assert (short.agents_required, short.agents_available) == (1, 0)
    assert 0.9 <= short.average_handle_seconds < 10
    assert (short.target_share, short.target_answer_seconds) == (0.8, 60)


async def test_the_next_intervals_are_forecast_from_yesterdays_on_postgresql(stack, start_replica):
    replica = await start_replica(staffing_default_handle_seconds=300)
    region, quarter = unique("forecast"), timedelta(minutes=15)
    starts = next_intervals(datetime.now(UTC), length=quarter, count=4)
    yesterday = [start - timedelta(days=1) for start in starts]
    opened = [
        yesterday[0] - timedelta(milliseconds=1),  # the interval before: not forecast
        yesterday[0],  # the boundary belongs to the interval it starts
        yesterday[1] + timedelta(minutes=7),
        yesterday[1] + timedelta(minutes=14, seconds=59),
        yesterday[2],  # the end of the one before is not in it
        yesterday[3] + timedelta(minutes=1),
    ]
    for n, at in enumerate(opened):
        await stack.open_case(unique(f"case{n}"), region=region, opened_at=at)

    def cases_in(interval: dict[str, Any]) -> int:
        past = datetime.fromisoformat(interval["interval_start"]) - timedelta(days=1)
        return sum(past <= at < past + quarter for at in opened)

    async def forecast() -> list[dict[str, Any]] | None:
        answer = await replica.client.get(
            "/v1/staffing", params={"region": region}, headers=replica.admin
        )
        assert answer.status_code == 200, answer.text
        pools = answer.json()
        if not pools:
            return None
        [pool] = pools
        seen = sum(n["expected_arrivals"] * n["days_averaged"] for n in pool["next"])
        return pool["next"] if round(seen) == sum(map(cases_in, pool["next"])) > 0 else None

    coming = await eventually(forecast, timeout=30)
    assert coming is not None
    assert len(coming) == 4
    for interval in coming:  # counted from the answer's own intervals: a boundary may pass
        assert interval["days_averaged"] >= 1  # and more where older cases are stored
        assert interval["expected_arrivals"] * interval["days_averaged"] == pytest.approx(
            cases_in(interval)
        )
        assert interval["agents_available"] == 0
        assert interval["short"] is (interval["agents_required"] > 0)
