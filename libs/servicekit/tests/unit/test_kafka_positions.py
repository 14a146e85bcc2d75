"""ReadPositions on the records a re-assigned group-less consumer returns."""

from __future__ import annotations

from dataclasses import dataclass

from aiokafka import TopicPartition

from switchboard.servicekit.kafka_positions import ReadPositions

TP = TopicPartition("t", 0)


@dataclass
class Record:
    offset: int


class Consumer:
    def __init__(self) -> None:
        self.seeks: list[tuple[TopicPartition, int]] = []

    def seek(self, partition: TopicPartition, offset: int) -> None:
        self.seeks.append((partition, offset))


def offsets(read: ReadPositions, consumer: Consumer, *batch: int) -> list[int]:
    return [r.offset for r in read.take(consumer, TP, [Record(o) for o in batch])]


def test_records_read_again_from_the_start_are_dropped():
    read, consumer = ReadPositions(), Consumer()
    read.pin(TP, 0)
    assert offsets(read, consumer, 0, 1, 2) == [0, 1, 2]
    assert offsets(read, consumer, 0, 1, 2, 3) == [3]
    assert consumer.seeks == []


def test_a_jump_seeks_back_and_drops_the_rest_of_the_batch():
    read, consumer = ReadPositions(), Consumer()
    read.pin(TP, 5)
    assert offsets(read, consumer, 5) == [5]
    assert offsets(read, consumer, 9, 10) == []
    assert consumer.seeks == [(TP, 6)]
    assert offsets(read, consumer, 6, 7, 8, 9, 10) == [6, 7, 8, 9, 10]
    assert read.next[TP] == 11


def test_a_real_hole_is_accepted_once_sought_from_its_start():
    read, consumer = ReadPositions(), Consumer()
    read.pin(TP, 0)
    assert offsets(read, consumer, 0, 3) == [0]
    assert offsets(read, consumer, 3, 4) == [3, 4]  # the same gap again: compacted away
    assert consumer.seeks == [(TP, 1)]
    assert offsets(read, consumer, 7) == []  # a new gap is checked again
    assert consumer.seeks == [(TP, 1), (TP, 5)]


def test_a_partition_added_while_reading_starts_at_zero():
    read, consumer = ReadPositions(), Consumer()
    added = TopicPartition("t", 1)
    assert [r.offset for r in read.take(consumer, added, [Record(4)])] == []
    assert consumer.seeks == [(added, 0)]
