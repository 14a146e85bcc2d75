"""What the platform says on Kafka about the benchmark's cases, read as any subscriber reads
it (from the topics' current ends, with a plain consumer): for each case when it was
opened, queued and first offered (receipt time and record timestamp; whether the offer came
as the case arrived or later, when an agent freed up); offers handed to the agents, missed
offers, survey requests answered by some customers.

Shared by the end-to-end benchmarks (each runs as a script, so this directory is on
``sys.path``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from load import HttpClient
from workforce import Workforce

from switchboard.contracts.topics import ASSIGNMENTS, CASES, SURVEYS
from switchboard.servicekit.kafka import ensure_topics, make_producer

SURVEY_ANSWER_SHARE = 0.35


@dataclass(frozen=True)
class Seen:
    received: float
    """Wall clock when this process read the record."""
    stamped: float
    """The record's timestamp (CreateTime, set by the writing service's producer)."""


@dataclass
class CaseTimes:
    opened: Seen | None = None
    queued: Seen | None = None
    offered: Seen | None = None
    on_arrival: bool = False
    resolved: Seen | None = None


@dataclass
class CaseWatch:
    bootstrap: str
    workforce: Workforce | None = None
    feedback: HttpClient | None = None
    cases: dict[str, CaseTimes] = field(default_factory=dict)
    counts: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    async def __aenter__(self) -> CaseWatch:
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap, group_id=None, enable_auto_commit=False
        )
        partitions = await partitions_of(
            self.bootstrap, [CASES.name, ASSIGNMENTS.name, SURVEYS.name]
        )
        await self._consumer.start()
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for tp in partitions:  # positioned before anything is sent
            await self._consumer.position(tp)
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._consumer.stop()

    def case(self, case_id: str) -> CaseTimes:
        return self.cases.setdefault(case_id, CaseTimes())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=100)
            received = time.time()
            for records in batch.values():
                for record in records:
                    kind = dict(record.headers).get("ce_type", b"").decode()
                    self.counts[kind] += 1
                    self._note(
                        kind, json.loads(record.value), Seen(received, record.timestamp / 1000)
                    )

    def _note(self, kind: str, data: dict[str, Any], seen: Seen) -> None:
        short = kind.removeprefix("switchboard.")
        if short == "case.opened":
            self.case(data["case_id"]).opened = seen
        elif short == "case.queued":
            times = self.case(data["case_id"])
            times.queued = times.queued or seen
        elif short == "case.offered":
            times = self.case(data["case_id"])
            if times.offered is None:
                times.offered = seen
                times.on_arrival = data["explanation"]["trigger"] == "case_arrived"
            if self.workforce is not None:
                self.workforce.offered(data["case_id"], data["agent_id"])
        elif short == "offer.expired" and self.workforce is not None:
            self.workforce.expired(data["agent_id"])
        elif short == "case.resolved":
            self.case(data["case_id"]).resolved = seen
        elif short == "survey.requested" and self._answers_this_one():
            task = asyncio.create_task(self._answer(data["link"]))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _answers_this_one(self) -> bool:
        return self.feedback is not None and self.rng.random() < SURVEY_ANSWER_SHARE

    async def _answer(self, link: str) -> None:
        assert self.feedback is not None
        await asyncio.sleep(self.rng.uniform(0.5, 2.0))
        answer = {"csat": self.rng.choice((3, 4, 5, 5)), "nps": self.rng.randint(5, 10)}
        try:
            status, _ = await self.feedback.post_json(urlsplit(link).path, answer)
        except Exception as error:  # counted
            self.counts[f"survey answer failed: {type(error).__name__}"] += 1
            return
        self.counts[f"survey answered: {status}"] += 1

    async def until(
        self, case_ids: set[str], *, what: str, limit: float, quiet: float = 15.0
    ) -> int:
        """Wait until every case has ``what`` (an attribute of CaseTimes), no progress for
        ``quiet`` seconds, or ``limit`` seconds; how many have it."""
        deadline, last, changed = time.monotonic() + limit, -1, time.monotonic()
        while True:
            done = sum(1 for c in case_ids if getattr(self.cases.get(c), what, None) is not None)
            if done == len(case_ids) or time.monotonic() > deadline:
                return done
            if done != last:
                last, changed = done, time.monotonic()
            elif time.monotonic() - changed > quiet:
                return done
            await asyncio.sleep(0.2)


async def partitions_of(bootstrap: str, topics: list[str]) -> list[TopicPartition]:
    await ensure_topics(bootstrap, topics)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        for partition in topic["partitions"]
    ]


async def kafka_round_trip(bootstrap: str, rate: float, seconds: float) -> list[float]:
    """The baseline: plain 1 KB messages at ``rate``/s, from just before ``send`` to this
    process's consumer reading them, with the services' producer settings."""
    topic = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    partitions = await partitions_of(bootstrap, [topic])
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    producer: AIOKafkaProducer = make_producer(bootstrap)
    await consumer.start()
    await producer.start()
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    try:
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)

        async def consume() -> None:
            while len(latencies) < total:
                batch = await consumer.getmany(timeout_ms=100)
                received = time.time()
                for records in batch.values():
                    for record in records:
                        if record.key in sent:
                            latencies.append(received - sent[record.key])

        consuming = asyncio.create_task(consume())
        value, start = b"y" * 1024, time.time()
        for index in range(total):
            delay = start + index / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"m-{index}".encode()
            sent[key] = time.time()
            await producer.send(topic, value=value, key=key)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consuming, 30)
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies
