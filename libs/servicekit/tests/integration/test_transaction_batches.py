"""Records sharing a transaction: one commit for many, and a bad record still costs only itself."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from switchboard.contracts.envelope import encode
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.tables import inbox
from switchboard.servicekit.testing.helpers import eventually, read_topic

pytestmark = pytest.mark.integration


async def test_batched_records_apply_once_in_order_and_a_poison_record_is_isolated(world):
    await ensure_topics(world.bootstrap, [world.topic], partitions=1)
    producer = make_producer(world.bootstrap)
    await producer.start()
    commits: list[tuple[object, int]] = []

    async def effect_then_count(envelope, uow):
        await world.record_effect(envelope, uow)
        transaction = uow.session.sync_session.info.setdefault("test.transaction", object())
        uow.after_commit(lambda: commits.append((transaction, envelope.data.seq)))

    consumer = world.consumer(
        producer,
        handlers={world.model: effect_then_count},
        max_attempts=2,
        retry_backoff_seconds=0.05,
        records_per_transaction=50,
    )
    envelopes = [world.envelope("case-1", seq, poison=seq == 17) for seq in range(1, 41)]
    envelopes.insert(5, envelopes[3])  # a redelivered record inside the same batch
    await world.send_all(producer, envelopes)  # all before the consumer starts: few fetches
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        rows = await eventually(lambda: _at_least(world, 39))
        assert [r.seq for r in rows] == [s for s in range(1, 41) if s != 17]
        dead = await read_topic(world.bootstrap, consumer.dead_letter_topic, expect=1)
        poison = next(e for e in envelopes if e.data.poison)
        assert dead[0].value == encode(poison).value
        assert sorted(seq for _t, seq in commits) == [s for s in range(1, 41) if s != 17]
        assert len({id(t) for t, _seq in commits}) < 20, "records shared transactions"
        async with world.sessions() as session:
            recorded = await session.scalar(select(func.count()).select_from(inbox))
        assert recorded == 39, "the poison record's inbox entry was rolled back with it"
    finally:
        await consumer.stop()
        await task
        await producer.stop()


async def _at_least(world, count):
    rows = await world.effect_rows()
    return rows if len(rows) >= count else None


async def test_a_batch_handler_gets_runs_of_events_and_applies_each_once(world):
    await ensure_topics(world.bootstrap, [world.topic], partitions=1)
    producer = make_producer(world.bootstrap)
    await producer.start()
    calls: list[list[int]] = []

    async def effects_in_bulk(envelopes, uow):
        calls.append([envelope.data.seq for envelope in envelopes])
        for envelope in envelopes:
            await world.record_effect(envelope, uow)

    consumer = world.consumer(
        producer,
        handlers={},
        batch_handlers={world.model: effects_in_bulk},
        records_per_transaction=50,
    )
    envelopes = [world.envelope("case-2", seq) for seq in range(1, 31)]
    await world.send_all(producer, [*envelopes, envelopes[0]])  # the first one redelivered
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    try:
        rows = await eventually(lambda: _at_least(world, 30))
        assert [r.seq for r in rows] == list(range(1, 31))
        assert [seq for call in calls for seq in call] == list(range(1, 31))
        assert max(len(call) for call in calls) > 1, "events arrived in runs"
    finally:
        await consumer.stop()
        await task
        await producer.stop()
