"""Outbox benchmark on a private broker and database, all in one run.

(a) the baseline: raw aiokafka produce rate of 1 KB messages with the services' producer
    (idempotent, acks=all), warmed up first, then repeated;
(b) outbox → Kafka relay rate (the relay as ``assemble()`` builds it: its batch size), draining
    a backlog written beforehand, repeated;
(c) commit-to-consumer latency at a steady 500 events/s: each event committed in its own
    transaction (``add_event``), woken relay, read by a consumer that holds its partitions
    and knows its positions before the first event is sent; the baseline is a direct
    produce call to the same consumer at the same rate.
Each measure is repeated ``--runs`` times (median, min, max).
Targets: (b) ≥ 5,000 events/s and ≥ 25 % of (a); (c) p50 < 10 ms, p99 < 50 ms.
Loopback only. ``--smoke``: tiny sizes, checks it runs and the numbers are sane.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from typing import ClassVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from infra import Infra, infrastructure
from sqlalchemy import func, insert, select
from stats import Distribution, over_runs, ratio

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.topics import Topic
from switchboard.servicekit.db import create_engine, session_factory, utcnow
from switchboard.servicekit.kafka import ensure_topics, make_producer
from switchboard.servicekit.outbox import OutboxRelay, add_event, lane_of
from switchboard.servicekit.settings import ServiceSettings
from switchboard.servicekit.tables import kit_metadata, outbox

PAYLOAD = "x" * 900
PARTITIONS = 3
TARGET_RATE, TARGET_SHARE = 5_000, 0.25
TARGET_P50, TARGET_P99 = 0.010, 0.050


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


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


def make_relay(sessions, producer) -> OutboxRelay:
    """As ``assemble()`` builds it, with the services' default settings."""
    defaults = ServiceSettings.model_fields
    return OutboxRelay(
        sessions=sessions,
        producer=producer,
        batch_size=defaults["outbox_batch_size"].default,
        poll_seconds=defaults["outbox_poll_seconds"].default,
    )


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
    relay = make_relay(sessions, producer)
    try:
        started = time.perf_counter()
        published = 0
        while published < n:
            published += await relay.publish_once()
        return n / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def ready_consumer(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A consumer that holds every partition of ``topic`` and has resolved its position at
    the end of each: every record sent after this returns is seen."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    partitions = [TopicPartition(topic, p) for p in range(PARTITIONS)]
    consumer.assign(partitions)
    await consumer.seek_to_end(*partitions)
    for partition in partitions:
        await consumer.position(partition)
    return consumer


async def latency(
    sessions, bootstrap: str, topic: str, rate: int, seconds: float, *, via_outbox: bool
) -> list[float]:
    """Commit (or, for the baseline, the direct produce call) to consumer receipt."""
    model = event_model(topic)
    producer = make_producer(bootstrap)
    await producer.start()
    relay = make_relay(sessions, producer)
    relay_task = asyncio.create_task(relay.run())
    consumer = await ready_consumer(bootstrap, topic)
    total = int(rate * seconds)
    committed_at: dict[str, float] = {}
    received: list[float] = []

    async def consume() -> None:
        async for record in consumer:
            event_id = dict(record.headers)["ce_id"].decode()
            if event_id in committed_at:
                received.append(time.perf_counter() - committed_at[event_id])
                if len(received) >= total:
                    return

    consume_task = asyncio.create_task(consume())
    interval = 1.0 / rate
    next_at = time.perf_counter()
    try:
        for i in range(total):
            envelope = Envelope(model(key=f"case-{i % 500}", text=PAYLOAD), source="/bench")
            if via_outbox:
                async with sessions() as session, session.begin():
                    await add_event(session, envelope)
                committed_at[envelope.id] = time.perf_counter()
            else:
                record = encode(envelope)
                committed_at[envelope.id] = time.perf_counter()
                await producer.send(
                    topic, value=record.value, key=record.key, headers=record.headers
                )
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        # What has not arrived 30 s after the last send is reported as missing.
        await asyncio.wait([consume_task], timeout=30)
    finally:
        consume_task.cancel()
        relay.stop()
        await relay_task
        await consumer.stop()
        await producer.stop()
    return received


async def bench(args: argparse.Namespace, infra: Infra) -> list[str]:
    problems: list[str] = []
    database = infra.database("outbox")
    engine = create_engine(database, pool_size=20)
    async with engine.begin() as conn:
        await conn.run_sync(kit_metadata.create_all)
    sessions = session_factory(engine)
    bootstrap = infra.bootstrap
    names = ("raw", "relay", "latency", "raw-latency")
    topics = {name: f"bench-{name}-{uuid.uuid4().hex[:8]}" for name in names}
    await ensure_topics(bootstrap, list(topics.values()), partitions=PARTITIONS)

    await raw_produce_rate(bootstrap, topics["raw"], args.warmup)  # connections, metadata, JIT
    await relay_rate(sessions, bootstrap, topics["relay"], args.warmup)
    raw, relay, shares = [], [], []
    for _ in range(args.runs):  # alternate: both meet the same background load
        raw.append(await raw_produce_rate(bootstrap, topics["raw"], args.messages))
        relay.append(await relay_rate(sessions, bootstrap, topics["relay"], args.messages))
        shares.append(100 * relay[-1] / raw[-1])
    async with sessions() as session:
        left = await session.scalar(select(func.count()).select_from(outbox))
    if left:
        problems.append(f"{left} outbox rows left after the relay runs")
    print(f"(a) raw aiokafka produce, 1 KB, msg/s: {over_runs(raw, digits=0)}")
    print(f"(b) outbox relay, events/s:            {over_runs(relay, digits=0)}")
    median_relay = sorted(relay)[len(relay) // 2]
    median_share = sorted(shares)[len(shares) // 2]
    print(
        f"    (b) / (a) per run: {over_runs(shares, ' %', 0)}; of the medians "
        f"{ratio(median_relay, sorted(raw)[len(raw) // 2])}"
    )
    print(f"    target (b) ≥ {TARGET_RATE:,}/s: {mark(median_relay >= TARGET_RATE)}")
    print(f"    target (b) ≥ {TARGET_SHARE:.0%} of (a): {mark(median_share >= 100 * TARGET_SHARE)}")

    runs: dict[str, list[list[float]]] = {"baseline": [], "outbox": []}
    for _ in range(args.runs):
        for label, via_outbox, topic in (
            ("baseline", False, topics["raw-latency"]),
            ("outbox", True, topics["latency"]),
        ):
            runs[label].append(
                await latency(
                    sessions, bootstrap, topic, args.rate, args.seconds, via_outbox=via_outbox
                )
            )
    expected = int(args.rate * args.seconds)
    for label, title in (
        ("baseline", "baseline: produce → consumer"),
        ("outbox", "(c) commit → consumer"),
    ):
        dists = [Distribution.of(values) for values in runs[label]]
        print(f"{title} at {args.rate}/s, {expected} events per run:")
        print(f"    p50 {over_runs([d.p50 * 1000 for d in dists], ' ms', 2)}")
        print(f"    p99 {over_runs([d.p99 * 1000 for d in dists], ' ms', 2)}")
        print(f"    all runs: {Distribution.of([v for vs in runs[label] for v in vs]).ms()}")
        if any(d.n < expected for d in dists):
            problems.append(f"{label}: {min(d.n for d in dists)} of {expected} events received")
    dists = [Distribution.of(values) for values in runs["outbox"]]
    p50 = sorted(d.p50 for d in dists)[len(dists) // 2]
    p99 = sorted(d.p99 for d in dists)[len(dists) // 2]
    print(f"    target (c) p50 < {TARGET_P50 * 1000:.0f} ms: {mark(p50 < TARGET_P50)}")
    print(f"    target (c) p99 < {TARGET_P99 * 1000:.0f} ms: {mark(p99 < TARGET_P99)}")
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    if not (min(raw) > 0 and min(relay) > 0):
        problems.append("a rate was not positive")
    await engine.dispose()
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=50_000, help="per rate run")
    parser.add_argument("--warmup", type=int, default=5_000, help="messages before the runs")
    parser.add_argument("--rate", type=int, default=500, help="events/s in the latency runs")
    parser.add_argument("--seconds", type=float, default=10.0, help="per latency run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.messages, args.warmup, args.rate, args.seconds, args.runs = 2000, 500, 100, 2.0, 1
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs", flush=True)
    try:
        with infrastructure(prefix="outbox-bench-") as infra:
            problems = asyncio.run(bench(args, infra))
    except Exception as error:
        print(f"RESULT outbox_relay: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    if problems:
        print(f"RESULT outbox_relay: failed {'; '.join(problems)}")
        raise SystemExit(1)
    print("RESULT outbox_relay: ok")


if __name__ == "__main__":
    main()
