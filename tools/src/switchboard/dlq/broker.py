"""Reading dead-letter topics, and where the replayer of each has got to.

What was replayed is kept as the committed offsets of the tool's own consumer group per
dead-letter topic (``replayer_group``): the broker keeps them, next to every other group's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from switchboard.contracts.topics import dead_letter_topic
from switchboard.dlq.letters import TOPIC_PREFIX, DeadLetter
from switchboard.servicekit.kafka import KafkaConnection, connection_of

READ_TIMEOUT_SECONDS = 30.0


def replayer_group(group: str) -> str:
    """The tool's consumer group for ``group``'s dead-letter topic (its replay progress)."""
    return f"switchboard-dlq-replayer.{group}"


async def dead_letter_topics(kafka: str | KafkaConnection) -> list[str]:
    admin = AIOKafkaAdminClient(**connection_of(kafka).client_options())
    await admin.start()
    try:
        return sorted(t for t in await admin.list_topics() if t.startswith(TOPIC_PREFIX))
    finally:
        await admin.close()


async def partitions_of(kafka: str | KafkaConnection, topic: str) -> list[int]:
    """The topic's partitions; none when it does not exist."""
    admin = AIOKafkaAdminClient(**connection_of(kafka).client_options())
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(
        int(p["partition"]) for t in described if t["error_code"] == 0 for p in t["partitions"]
    )


@asynccontextmanager
async def reader(kafka: str | KafkaConnection, group: str) -> AsyncIterator[DeadLetterReader]:
    """A reader of ``group``'s dead-letter topic, assigned all its partitions."""
    topic = dead_letter_topic(group)
    partitions = await partitions_of(kafka, topic)
    if not partitions:
        raise LookupError(f"no dead-letter topic {topic} (consumer group {group!r})")
    consumer = AIOKafkaConsumer(
        **connection_of(kafka).client_options(),
        group_id=replayer_group(group),
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in partitions]
        consumer.assign(tps)
        yield DeadLetterReader(consumer, tps)
    finally:
        await consumer.stop()


class DeadLetterReader:
    def __init__(self, consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
        self._consumer = consumer
        self.partitions = partitions

    async def replayed_up_to(self) -> dict[int, int]:
        """Per partition, the offset below which every dead letter was replayed."""
        start = await self._consumer.beginning_offsets(self.partitions)
        marks = {}
        for tp in self.partitions:
            committed = await self._consumer.committed(tp)
            marks[tp.partition] = max(committed or 0, start[tp])
        return marks

    async def read(self, since: dict[int, int] | None = None) -> list[DeadLetter]:
        """The dead letters from ``since`` (per partition; default: the start) up to the
        end as it was when asked, in offset order per partition."""
        end = await self._consumer.end_offsets(self.partitions)
        begin = await self._consumer.beginning_offsets(self.partitions)
        wanted = {}
        for tp in self.partitions:
            first = max((since or {}).get(tp.partition, 0), begin[tp])
            if first < end[tp]:
                self._consumer.seek(tp, first)
                wanted[tp] = end[tp]
        return await self._read_until(wanted)

    async def read_one(self, partition: int, offset: int) -> DeadLetter:
        tp = next((tp for tp in self.partitions if tp.partition == partition), None)
        if tp is None:
            raise LookupError(f"no partition {partition} in {self.partitions[0].topic}")
        begin = (await self._consumer.beginning_offsets([tp]))[tp]
        end = (await self._consumer.end_offsets([tp]))[tp]
        if not begin <= offset < end:
            raise LookupError(f"no dead letter at {partition}:{offset} (offsets {begin}..{end})")
        self._consumer.seek(tp, offset)
        letters = await self._read_until({tp: offset + 1})
        found = [letter for letter in letters if letter.offset == offset]
        if not found:  # a compacted or transaction-marker offset
            raise LookupError(f"no dead letter at {partition}:{offset}")
        return found[0]

    async def mark_replayed(self, partition: int, next_offset: int) -> None:
        tp = next(tp for tp in self.partitions if tp.partition == partition)
        await self._consumer.commit({tp: next_offset})

    async def _read_until(self, wanted: dict[TopicPartition, int]) -> list[DeadLetter]:
        for tp in self.partitions:
            if tp in wanted:
                self._consumer.resume(tp)
            else:
                self._consumer.pause(tp)
        letters: dict[TopicPartition, list[DeadLetter]] = {tp: [] for tp in wanted}
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        pending = dict(wanted)
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {sorted(map(str, pending))} took too long")
            batch = await self._consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                letters[tp].extend(DeadLetter.of(r) for r in records if r.offset < wanted[tp])
            for tp in list(pending):
                if await self._consumer.position(tp) >= pending[tp]:
                    self._consumer.pause(tp)
                    del pending[tp]
            await asyncio.sleep(0)
        return [letter for tp in self.partitions for letter in letters.get(tp, [])]
