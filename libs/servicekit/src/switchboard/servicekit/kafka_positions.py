"""Keeping one's place when reading topics without a consumer group.

A group-less aiokafka consumer that subscribed to topics assigns itself every partition of
them. Whenever the partitions of a subscribed topic change in a metadata answer — a
partition added, or a topic missing from one answer while a broker restarts — it assigns
them all again, and every position falls back to ``auto_offset_reset``: the partitions are
read again from their start (every record twice) or jump to their end (records skipped).

``ReadPositions`` undoes that from the records themselves. It keeps, per partition, the
offset after the last record it let through; a record below it is dropped (read again); a
record beyond it means records were skipped, so the consumer seeks back and the rest of
that batch is dropped. Offsets can have holes of their own (compaction, transaction
markers): a gap found again right after seeking back is one, and is accepted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

from aiokafka import TopicPartition


class Seeking(Protocol):
    def seek(self, partition: TopicPartition, offset: int) -> None: ...


class ReadPositions:
    def __init__(self) -> None:
        self.next: dict[TopicPartition, int] = {}
        """The offset after the last record let through, per partition; a partition not
        here (one added while reading) starts at 0."""
        self._sought: dict[TopicPartition, int] = {}

    def pin(self, partition: TopicPartition, offset: int) -> None:
        """Where reading ``partition`` starts (its position when reading began)."""
        self.next[partition] = offset

    def take(
        self, consumer: Seeking, partition: TopicPartition, records: Sequence[Any]
    ) -> Iterator[Any]:
        """The records of one fetched batch that follow on from the last one let through."""
        for record in records:
            expected = self.next.get(partition, 0)
            if record.offset < expected:
                continue
            if record.offset > expected and self._sought.get(partition) != expected:
                self._sought[partition] = expected
                consumer.seek(partition, expected)
                return
            self.next[partition] = record.offset + 1
            yield record

    def take_all(
        self, consumer: Seeking, batches: dict[TopicPartition, list[Any]]
    ) -> Iterable[Any]:
        """``take`` over a ``getmany`` answer, partition by partition."""
        for partition, records in batches.items():
            yield from self.take(consumer, partition, records)
