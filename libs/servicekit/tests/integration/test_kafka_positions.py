"""A group-less consumer re-assigns itself every partition when a subscribed topic's
partitions change, and its positions fall back to ``auto_offset_reset``; ``ReadPositions``
keeps the reader's place through it. Each test checks that the reset really happened (the
consumer's own records came twice, or jumped) and that the reader still got every record
once, in order."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewPartitions

from switchboard.servicekit.kafka_positions import ReadPositions
from switchboard.servicekit.testing.plugin import create_topics

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


class Reader:
    def __init__(self, bootstrap: str, topics: list[str], reset: str) -> None:
        self.consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=None,
            auto_offset_reset=reset,
            enable_auto_commit=False,
            metadata_max_age_ms=300,
        )
        self.topics = set(topics)
        self.positions = ReadPositions()
        self.raw: list[tuple[str, int, int]] = []
        self.taken: list[tuple[str, int, int]] = []

    async def start(self) -> None:
        await self.consumer.start()
        async with asyncio.timeout(30):
            while {tp.topic for tp in self.consumer.assignment()} != self.topics:
                await asyncio.sleep(0.1)
        for tp in self.consumer.assignment():
            self.positions.pin(tp, await self.consumer.position(tp))

    async def read_until(self, done: Callable[[], bool], *, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert time.monotonic() < deadline, (self.raw, self.taken)
            batches = await self.consumer.getmany(timeout_ms=200)
            for tp, records in batches.items():
                self.raw += [(tp.topic, tp.partition, r.offset) for r in records]
            for record in self.positions.take_all(self.consumer, batches):
                self.taken.append((record.topic, record.partition, record.offset))

    def offsets(self, topic: str, partition: int = 0) -> list[int]:
        return [o for t, p, o in self.taken if (t, p) == (topic, partition)]

    def raw_offsets(self, topic: str, partition: int = 0) -> list[int]:
        return [o for t, p, o in self.raw if (t, p) == (topic, partition)]


async def produce(bootstrap: str, topic: str, count: int, partition: int = 0) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(count):
            await producer.send_and_wait(topic, b"%d" % n, partition=partition)
    finally:
        await producer.stop()


async def add_partition(bootstrap: str, topic: str) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_partitions({topic: NewPartitions(total_count=2)})
    finally:
        await admin.close()


async def reassigned(reader: Reader, topic: str) -> None:
    async with asyncio.timeout(30):
        while TopicPartition(topic, 1) not in reader.consumer.assignment():
            await asyncio.sleep(0.1)


async def test_read_from_the_start_nothing_comes_twice(kafka_bootstrap, topic_name):
    main, other = f"{topic_name}-main", f"{topic_name}-other"
    await create_topics(kafka_bootstrap, [main, other], partitions=1)
    await produce(kafka_bootstrap, main, 3)
    reader = Reader(kafka_bootstrap, [main, other], reset="earliest")
    await reader.start()
    try:
        await reader.read_until(lambda: len(reader.offsets(main)) == 3)
        await add_partition(kafka_bootstrap, other)
        await reassigned(reader, other)
        await produce(kafka_bootstrap, main, 2)
        await produce(kafka_bootstrap, other, 1, partition=1)
        await reader.read_until(
            lambda: len(reader.offsets(main)) == 5 and reader.offsets(other, 1) == [0]
        )
    finally:
        await reader.consumer.stop()
    assert reader.raw_offsets(main).count(0) == 2, "the consumer did not read its start again"
    assert reader.offsets(main) == [0, 1, 2, 3, 4]
    assert reader.offsets(other, 1) == [0]


async def test_read_from_the_end_nothing_is_skipped(kafka_bootstrap, topic_name):
    main, other = f"{topic_name}-main", f"{topic_name}-other"
    await create_topics(kafka_bootstrap, [main, other], partitions=1)
    await produce(kafka_bootstrap, main, 2)  # before the reader: not for it
    reader = Reader(kafka_bootstrap, [main, other], reset="latest")
    await reader.start()
    try:
        await produce(kafka_bootstrap, main, 1)
        await reader.read_until(lambda: reader.offsets(main) == [2])
        await produce(kafka_bootstrap, main, 2)  # offsets 3 and 4, while it does not read
        await add_partition(kafka_bootstrap, other)
        await reassigned(reader, other)
        after_reset = await reader.consumer.position(TopicPartition(main, 0))
        await produce(kafka_bootstrap, other, 1, partition=1)
        await produce(kafka_bootstrap, main, 1)  # offset 5: shows the gap
        await reader.read_until(
            lambda: len(reader.offsets(main)) == 4 and reader.offsets(other, 1) == [0]
        )
    finally:
        await reader.consumer.stop()
    assert after_reset == 5, "the consumer did not jump to the end"
    assert reader.offsets(main) == [2, 3, 4, 5]
    assert reader.offsets(other, 1) == [0]
