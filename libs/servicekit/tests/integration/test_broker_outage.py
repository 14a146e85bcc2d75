"""The broker is stopped while events are written, then restarted: every event arrives."""

from __future__ import annotations

import asyncio
import json

import pytest

from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.testing.helpers import read_topic

pytestmark = pytest.mark.integration


async def test_events_written_during_an_outage_all_arrive_after_restart(world, kafka_broker):
    if not getattr(kafka_broker, "restartable", True):
        pytest.skip("an external broker cannot be stopped by the test")
    await ensure_topics(world.bootstrap, [world.topic])
    producer = make_producer(world.bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=world.sessions, producer=producer, poll_seconds=0.2)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.to_thread(kafka_broker.stop)
        written = []
        for seq in range(40):
            envelope = world.envelope(f"case-{seq % 5}", seq)
            async with world.sessions() as session, session.begin():
                await add_event(session, envelope)
            written.append(envelope.id)
        await asyncio.sleep(1.0)
        await asyncio.to_thread(kafka_broker.start)

        records = await read_topic(world.bootstrap, world.topic, expect=40, timeout=90)
        ids = [dict(r.headers)["ce_id"].decode() for r in records]
        assert sorted(set(ids)) == sorted(written)
        by_key: dict[bytes, list[int]] = {}
        for record in records:
            seq = json.loads(record.value)["seq"]
            if seq not in by_key.setdefault(record.key, []):
                by_key[record.key].append(seq)
        for seqs in by_key.values():
            assert seqs == sorted(seqs), "one key's events must stay in order"
    finally:
        relay.stop()
        await task
        await producer.stop()
