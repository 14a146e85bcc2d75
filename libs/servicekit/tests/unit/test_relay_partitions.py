"""The relay picks each key's partition itself: it must be the one every Kafka client picks."""

from __future__ import annotations

import random

from aiokafka.partitioner import DefaultPartitioner

from switchboard.servicekit.outbox.relay import partition_for


def test_same_partition_as_the_default_partitioner() -> None:
    rng = random.Random(11)
    for count in (1, 3, 12):
        partitions = list(range(count))
        for _ in range(300):
            key = rng.randbytes(rng.randint(1, 40))
            expected = DefaultPartitioner()(key, partitions, partitions)
            assert partition_for(key, partitions) == expected
