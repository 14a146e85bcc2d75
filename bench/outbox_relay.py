"""Outbox benchmark on the local broker and database, all in one run.

(a) raw aiokafka batch produce rate of 1 KB messages — the baseline;
(b) outbox → Kafka relay rate, draining a backlog written beforehand;
(c) commit-to-consumer latency p50/p99 at a steady 500 events/s.
Targets: (b) ≥ 5,000 events/s and ≥ 25 % of (a); (c) p50 < 10 ms, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import ClassVar

from aiokafka import AIOKafkaConsumer
from sqlalchemy import func, insert, select

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.topics import Topic
from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event, lane_of
from switchboard.servicekit.tables import kit_metadata, outbox

PAYLOAD = "x" * 900


def event_model(topic_name: str) -> type[Event]:
    class BenchEvent(Event):
        event_type: ClassVar[str] = "bench.happened"
        topic: ClassVar[Topic] = Topic(topic_name, "bench", "key", "benchmark")
        key_field: ClassVar[str] = "key"
        key: str
        text: str

    return BenchEvent


async def raw_produce_rate(bootstrap: str, topic: str, n: int) -> float:
    producer = make_producer(bootstrap)
    await producer.start()
    value = b"y" * 1024
    try:
        started = time.perf_counter()
        futures = [
            await producer.send(topic, value=value, key=str(i % 1000).encode()) for i in range(n)
        ]
        await asyncio.gather(*futures)
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def relay_rate(sessions, bootstrap: str, topic: str, n: int) -> float:
    model = event_model(topic)
    now = utcnow()
    rows = []
    for i in range(n):
        envelope = Envelope(model(key=f"case-{i % 1000}", text=PAYLOAD), source="/bench")
        record = encode(envelope)
        rows.append(
            {
                "event_id": envelope.id,
                "lane": lane_of(envelope.key),
                "topic": topic,
                "key": envelope.key,
                "event_type": envelope.type,
                "headers": [[k, v.decode()] for k, v in record.headers],
                "payload": record.value,
                "created_at": now,
            }
        )
    async with sessions() as session, session.begin():
        for chunk in range(0, n, 5000):
            await session.execute(insert(outbox), rows[chunk : chunk + 5000])
    producer = make_producer(bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=sessions, producer=producer, batch_size=1000)
    try:
        started = time.perf_counter()
        published = 0
        while published < n:
            published += await relay.publish_once()
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def latency(
    sessions, bootstrap: str, topic: str, rate: int, seconds: int, *, via_outbox: bool
) -> list[float]:
    """Commit (or, for the baseline, a direct produce call) to consumer receipt."""
    model = event_model(topic)
    producer = make_producer(bootstrap)
    await producer.start()
    relay = OutboxRelay(sessions=sessions, producer=producer)
    relay_task = asyncio.create_task(relay.run())
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="latest",
        group_id=f"bench-{uuid.uuid4()}",
    )
    await consumer.start()
    await asyncio.sleep(1.0)
    committed_at: dict[str, float] = {}
    received: list[float] = []

    async def consume() -> None:
        async for record in consumer:
            event_id = dict(record.headers)["ce_id"].decode()
            if event_id in committed_at:
                received.append(time.perf_counter() - committed_at[event_id])
                if len(received) >= rate * seconds:
                    return

    consume_task = asyncio.create_task(consume())
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for i in range(rate * seconds):
        envelope = Envelope(model(key=f"case-{i % 500}", text=PAYLOAD), source="/bench")
        if via_outbox:
            async with sessions() as session, session.begin():
                await add_event(session, envelope)
            committed_at[envelope.id] = time.perf_counter()
        else:
            record = encode(envelope)
            committed_at[envelope.id] = time.perf_counter()
            await producer.send(topic, value=record.value, key=record.key, headers=record.headers)
        next_at += interval
        await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
    try:
        await asyncio.wait_for(consume_task, 30)
    finally:
        relay.stop()
        await relay_task
        await consumer.stop()
        await producer.stop()
    return received


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="sb-bench-") as tmp:
        Path(tmp).chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
        broker = KafkaBroker(Path(tmp) / "kafka")
        cluster = PostgresCluster(Path(tmp) / "pg")
        await asyncio.to_thread(broker.start)
        await asyncio.to_thread(cluster.start)
        try:
            await asyncio.to_thread(cluster.create_database, "bench")
            engine = create_engine(cluster.url("bench"), pool_size=20)
            async with engine.begin() as conn:
                await conn.run_sync(kit_metadata.create_all)
            sessions = session_factory(engine)
            bootstrap = broker.bootstrap_servers
            topics = [
                f"bench-{name}-{uuid.uuid4().hex[:8]}"
                for name in ("raw", "relay", "latency", "raw-latency")
            ]
            await ensure_topics(bootstrap, topics, partitions=3)

            raw = await raw_produce_rate(bootstrap, topics[0], args.messages)
            print(f"(a) raw aiokafka produce, 1 KB:  {raw:10,.0f} msg/s")
            relay = await relay_rate(sessions, bootstrap, topics[1], args.messages)
            print(
                f"(b) outbox relay:                {relay:10,.0f} events/s  "
                f"= {relay / raw:.0%} of (a)   [target ≥ 5,000/s and ≥ 25 %]"
            )
            async with sessions() as session:
                left = await session.scalar(select(func.count()).select_from(outbox))
            assert left == 0
            for label, via_outbox, topic in (
                ("baseline: produce → consumer", False, topics[3]),
                ("(c) commit → consumer", True, topics[2]),
            ):
                lat = await latency(
                    sessions, bootstrap, topic, args.rate, args.seconds, via_outbox=via_outbox
                )
                p50, p99 = percentile(lat, 0.5) * 1000, percentile(lat, 0.99) * 1000
                print(
                    f"{label} at {args.rate}/s over {len(lat)} events: p50 {p50:.1f} ms, "
                    f"p99 {p99:.1f} ms, mean {statistics.mean(lat) * 1000:.1f} ms"
                    + ("   [target p50 < 10 ms, p99 < 50 ms]" if via_outbox else "")
                )
            await engine.dispose()
        finally:
            await asyncio.to_thread(cluster.stop)
            await asyncio.to_thread(broker.stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--seconds", type=int, default=10)
    asyncio.run(main(parser.parse_args()))
