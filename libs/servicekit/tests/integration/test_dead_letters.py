"""A poison record lands in the dead-letter topic with its reason; the partition moves on.
A record of a type that no handler of the group takes is passed over without being read."""

from __future__ import annotations

import asyncio

import pytest

from switchboard.contracts.envelope import encode
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.testing.helpers import eventually, read_topic

pytestmark = pytest.mark.integration


async def test_undecodable_and_failing_records_are_dead_lettered_and_the_next_is_processed(world):
    await ensure_topics(world.bootstrap, [world.topic], partitions=1)
    producer = make_producer(world.bootstrap)
    await producer.start()
    consumer = world.consumer(producer, max_attempts=3, retry_backoff_seconds=0.05)
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        await producer.send_and_wait(world.topic, value=b"{not json", key=b"case-9")
        not_ours = [(name, value) for name, value in encode(world.envelope("case-9", 0)).headers]
        not_ours = [(n, b"test.somebody-elses" if n == "ce_type" else v) for n, v in not_ours]
        await producer.send_and_wait(
            world.topic, value=b"{not json either", key=b"case-9", headers=not_ours
        )
        poison = encode(world.envelope("case-9", 1, poison=True))
        await producer.send_and_wait(
            world.topic, value=poison.value, key=poison.key, headers=poison.headers
        )
        good = encode(world.envelope("case-9", 2))
        await producer.send_and_wait(
            world.topic, value=good.value, key=good.key, headers=good.headers
        )

        rows = await eventually(world.effect_rows)
        assert [r.seq for r in rows] == [2]

        dead = await read_topic(world.bootstrap, consumer.dead_letter_topic, expect=2)
        assert len(dead) == 2, "the record of a type nobody here handles is not dead-lettered"
        first, second = (dict(r.headers) for r in dead)
        assert first["dlq-error-type"] == b"UndecodableEvent"
        assert b"missing header ce_specversion" in first["dlq-reason"]
        assert first["dlq-original-topic"] == world.topic.encode()
        assert dead[0].value == b"{not json"
        assert second["dlq-error-type"] == b"RuntimeError"
        assert b"refusing poison event seq=1" in second["dlq-reason"]
        assert second["dlq-attempts"] == b"3"
        assert second["ce_type"] == b"test.pinged", "original headers are kept"
    finally:
        await consumer.stop()
        await task
        await producer.stop()
