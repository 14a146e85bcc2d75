"""PostgreSQL crashes (kill -9 of the whole server) for far longer than the handlers' own
retries last, then comes back: the consumer, the timer poller and the relay wait it out and
resume by themselves; nothing is dead-lettered or parked, everything happens exactly once.

Each test runs its own PostgreSQL cluster: killing the session's shared one would break
every other test running on it."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from switchboard.contracts.registry import Registry
from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event
from switchboard.servicekit.tables import kit_metadata, timers
from switchboard.servicekit.testing.helpers import eventually, read_topic
from switchboard.servicekit.timers import TimerPoller, schedule_many
from switchboard.servicekit.unit_of_work import without_dependencies

from .conftest import KitWorld, effects_metadata, make_event_model

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

OUTAGE_SECONDS = 6.0
"""Ten times what a handler's own retries last here (3 attempts, 0.05 s backoff)."""


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    path = Path(tempfile.mkdtemp(prefix="switchboard-outage-"))
    path.chmod(0o755)
    server = PostgresCluster(path, durable=True)  # a crash keeps what was committed
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def own_world(
    cluster: PostgresCluster, kafka_bootstrap: str, topic_name: str
) -> AsyncIterator[KitWorld]:
    engine = create_engine(cluster.create_database("outage"))
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    model = make_event_model(topic_name)
    registry = Registry()
    registry.register(model)
    yield KitWorld(engine, session_factory(engine), topic_name, model, registry, kafka_bootstrap)
    await engine.dispose()


async def crash_for(cluster: PostgresCluster, seconds: float) -> None:
    await asyncio.to_thread(cluster.kill)
    await asyncio.sleep(seconds)
    await asyncio.to_thread(cluster.start)


async def test_a_consumer_waits_out_a_database_crash_and_handles_every_record_once(
    own_world: KitWorld, cluster: PostgresCluster
):
    world = own_world
    await ensure_topics(world.bootstrap, [world.topic], partitions=3)
    producer = make_producer(world.bootstrap)
    await producer.start()
    consumer = world.consumer(
        producer,
        max_attempts=3,
        retry_backoff_seconds=0.05,
        outage_backoff_cap_seconds=0.5,
        records_per_transaction=8,
    )
    await consumer.start()
    task = asyncio.create_task(consumer.run())
    sent = [world.envelope(f"case-{n % 7}", n) for n in range(120)]
    stalls: list[str] = []
    try:
        await world.send_all(producer, sent[:40])
        await eventually(lambda: _count(world, 40))
        crash = asyncio.create_task(crash_for(cluster, OUTAGE_SECONDS))
        for chunk in range(40, 120, 10):  # records keep arriving through the outage
            await world.send_all(producer, sent[chunk : chunk + 10])
            await asyncio.sleep(OUTAGE_SECONDS / 10)
            if consumer.stall.current is not None:
                stalls.append(consumer.stall.current.dependency)
        await crash
        assert await eventually(lambda: _count(world, 120), timeout=60)
        assert consumer.stall.current is None, "the runner says it resumed"
    finally:
        await consumer.stop()
        await task
        await producer.stop()

    assert "database" in stalls, "while the database was down the runner said it waited for it"
    rows = await world.effect_rows()
    handled = Counter(row.event_id for row in rows)
    assert set(handled) == {envelope.id for envelope in sent}
    assert max(handled.values()) == 1, "every record handled exactly once"
    by_key: dict[str, list[int]] = {}
    for row in rows:
        by_key.setdefault(row.key, []).append(row.seq)
    assert all(seqs == sorted(seqs) for seqs in by_key.values()), "each key in order"
    dead = await read_topic(world.bootstrap, consumer.dead_letter_topic, expect=1, timeout=3)
    assert dead == [], "a database outage dead-letters nothing"


async def test_timers_due_during_a_database_crash_fire_once_afterwards_and_none_is_parked(
    own_world: KitWorld, cluster: PostgresCluster
):
    world = own_world
    poller = TimerPoller(
        units=without_dependencies(world.sessions),
        handlers={"test.ping": world.record_timer},
        poll_seconds=0.05,
        max_attempts=2,
        retry_backoff=timedelta(milliseconds=50),
    )
    now = utcnow()
    async with world.sessions() as session, session.begin():
        due = [(f"t{n}", now + timedelta(seconds=n * 0.2), {"n": n}) for n in range(30)]
        await schedule_many(session, kind="test.ping", due=due)
    task = asyncio.create_task(poller.run())
    try:
        await eventually(lambda: _count(world, 3))
        await crash_for(cluster, OUTAGE_SECONDS)
        assert await eventually(lambda: _count(world, 30), timeout=60)
    finally:
        poller.stop()
        await task
    handled = Counter(row.key for row in await world.effect_rows())
    assert handled == Counter({f"t{n}": 1 for n in range(30)})
    async with world.sessions() as session:
        assert (await session.execute(select(timers))).all() == [], "none parked as dead"


async def test_the_relay_publishes_what_waited_in_the_outbox_once_the_database_is_back(
    own_world: KitWorld, cluster: PostgresCluster
):
    world = own_world
    await ensure_topics(world.bootstrap, [world.topic], partitions=3)
    producer = make_producer(world.bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=world.sessions, producer=producer, poll_seconds=0.05)
    task = asyncio.create_task(relay.run())
    written = []
    try:
        for n in range(20):
            envelope = world.envelope(f"case-{n % 3}", n)
            async with world.sessions() as session, session.begin():
                await add_event(session, envelope)
            written.append(envelope.id)
        await asyncio.to_thread(cluster.kill)
        assert await eventually(lambda: _async(relay.stall.current is not None), timeout=10)
        await asyncio.sleep(OUTAGE_SECONDS)
        await asyncio.to_thread(cluster.start)
        for n in range(20, 30):  # written once the database is back
            envelope = world.envelope(f"case-{n % 3}", n)
            async with world.sessions() as session, session.begin():
                await add_event(session, envelope)
            written.append(envelope.id)
        records = await read_topic(world.bootstrap, world.topic, expect=30, timeout=60)
        assert await eventually(lambda: _async(relay.stall.current is None), timeout=10)
    finally:
        relay.stop()
        await task
        await producer.stop()
    ids = Counter(dict(record.headers)["ce_id"].decode() for record in records)
    assert set(ids) == set(written)


async def _count(world: KitWorld, expected: int) -> bool:
    try:
        return len(await world.effect_rows()) >= expected
    except Exception:  # the database is down: not yet
        return False


async def _async(value: bool) -> bool:
    return value
