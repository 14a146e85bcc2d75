"""A transaction's event reaches a consumer once in effect; a rollback publishes nothing."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.testing.helpers import eventually, read_topic

pytestmark = pytest.mark.integration


async def test_committed_event_is_published_and_applied_once_despite_redelivery(world):
    await ensure_topics(world.bootstrap, [world.topic])
    producer = make_producer(world.bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=world.sessions, producer=producer, poll_seconds=0.2)
    consumer = world.consumer(producer)
    await consumer.start()
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    try:
        committed = world.envelope("case-1", 1)
        async with world.sessions() as session, session.begin():
            await add_event(session, committed)
        with pytest.raises(RuntimeError):
            async with world.sessions() as session, session.begin():
                await add_event(session, world.envelope("case-1", 2))
                raise RuntimeError("business rule failed after writing the outbox")

        rows = await eventually(world.effect_rows)
        assert [(r.event_id, r.seq) for r in rows] == [(committed.id, 1)]

        published = await read_topic(world.bootstrap, world.topic, expect=2, timeout=3)
        assert len(published) == 1, "the rolled-back event must never reach Kafka"
        duplicate = published[0]
        await producer.send_and_wait(
            world.topic,
            value=duplicate.value,
            key=duplicate.key,
            headers=list(duplicate.headers),
        )
        later = world.envelope("case-1", 3)
        async with world.sessions() as session, session.begin():
            await add_event(session, later)
        rows = await eventually(lambda: _effects_at_least(world, 2))
        await asyncio.sleep(1.0)
        rows = await world.effect_rows()
        assert [r.seq for r in rows] == [1, 3], "the redelivered event had a second effect"
        async with world.sessions() as session:
            pending = await session.scalar(select(func.count()).select_from(outbox))
        assert pending == 0
    finally:
        relay.stop()
        await consumer.stop()
        await asyncio.gather(*tasks)
        await producer.stop()


async def _effects_at_least(world, n):
    rows = await world.effect_rows()
    return rows if len(rows) >= n else None
