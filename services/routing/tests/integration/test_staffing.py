"""The staffing advisor on PostgreSQL and Kafka: a pool whose only agent leaves is
announced short on the staffing topic, with the handle time its resolved case took."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.contracts.envelope import decode
from switchboard.contracts.events import REGISTRY, StaffingShortfall
from switchboard.contracts.topics import STAFFING
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
