"""Two relays and two timer pollers at once: no row published twice, no timer fired twice."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.testing.helpers import eventually, read_topic
from switchboard.servicekit.timers import TimerPoller, schedule
from switchboard.servicekit.unit_of_work import without_dependencies

pytestmark = pytest.mark.integration

EVENTS = 1500
TIMERS = 600


async def test_two_relays_publish_each_row_once_in_key_order(world):
    await ensure_topics(world.bootstrap, [world.topic])
    producers = [make_producer(world.bootstrap) for _ in range(2)]
    for producer in producers:
        await producer.start()
    relays = [
        OutboxRelay(sessions=world.sessions, producer=p, batch_size=100, poll_seconds=0.05)
        for p in producers
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        written = []
        for chunk in range(0, EVENTS, 50):
            async with world.sessions() as session, session.begin():
                for seq in range(chunk, chunk + 50):
                    envelope = world.envelope(f"case-{seq % 37}", seq)
                    await add_event(session, envelope)
                    written.append(envelope.id)
        records = await read_topic(world.bootstrap, world.topic, expect=EVENTS + 1, timeout=20)
        ids = [dict(r.headers)["ce_id"].decode() for r in records]
        assert len(ids) == EVENTS, f"{len(ids) - len(set(ids))} rows published twice"
        assert set(ids) == set(written)
        by_key: dict[bytes, list[int]] = {}
        for record in records:
            by_key.setdefault(record.key, []).append(json.loads(record.value)["seq"])
        assert all(seqs == sorted(seqs) for seqs in by_key.values())
    finally:
        for relay in relays:
            relay.stop()
        await asyncio.gather(*tasks)
        for producer in producers:
            await producer.stop()


@pytest.mark.parametrize("batched", [False, True], ids=["one-by-one", "batched"])
async def test_two_pollers_fire_each_timer_once(world, batched):
    async def record_batch(batch, uow):
        for timer in batch:
            await world.record_timer(timer, uow)

    due = utcnow() - timedelta(seconds=1)
    async with world.sessions() as session, session.begin():
        for n in range(TIMERS):
            await schedule(session, kind="sla", key=f"clock-{n}", due_at=due, payload={"n": n})
        await schedule(
            session,
            kind="sla",
            key="future",
            due_at=utcnow() + timedelta(hours=1),
            payload={"n": -1},
        )
    pollers = [
        TimerPoller(
            units=without_dependencies(world.sessions),
            handlers={} if batched else {"sla": world.record_timer},
            batch_handlers={"sla": record_batch} if batched else None,
            batch_size=50,
            poll_seconds=0.02,
        )
        for _ in range(2)
    ]
    tasks = [asyncio.create_task(p.run()) for p in pollers]
    try:

        async def all_fired():
            rows = await world.effect_rows()
            return rows if len(rows) >= TIMERS else None

        await eventually(all_fired, timeout=30)
        await asyncio.sleep(0.5)
        rows = await world.effect_rows()
        assert sorted(r.seq for r in rows) == list(range(TIMERS)), "a timer fired twice or never"
    finally:
        for poller in pollers:
            poller.stop()
        await asyncio.gather(*tasks)
