"""Whether a dead letter is older than what its consumer group has applied since for its key.

A replay goes to the end of the source partition: after every event for the same key that
came in since the dead letter failed, which its group applied meanwhile. Replayed, the
older event lands on top of the newer ones (a case reopened after it was resolved, an
agent's old status over the new one) unless the group's handler checks versions. So the
tool looks: for each dead letter, the events for its key on the source partition after its
original offset. Not counted: its own earlier replays (same event id, which the inbox
absorbs), the other dead letters asked about (the group never applied those) and records
replayed for another group (this group passes over those).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, TopicPartition

from switchboard.dlq.letters import DeadLetter
from switchboard.servicekit.consumer.dead_letter import meant_for
from switchboard.servicekit.kafka import KafkaConnection, connection_of

READ_TIMEOUT_SECONDS = 60.0


@dataclass(frozen=True)
class Later:
    offset: int
    event_type: str
    event_id: str

    def __str__(self) -> str:
        return f"{self.offset} {self.event_type or '?'}"


def _origin(letter: DeadLetter) -> tuple[TopicPartition, int] | None:
    """The source partition and offset of the record that failed, when known and keyed."""
    topic = letter.original_topic
    partition, offset = (letter.header(f"dlq-original-{part}") for part in ("partition", "offset"))
    if not topic or letter.key is None or not partition.isdigit() or not offset.isdigit():
        return None
    return TopicPartition(topic, int(partition)), int(offset)


async def newer_events(
    kafka: str | KafkaConnection,
    group: str,
    letters: list[DeadLetter],
    dead_ids: set[str] | None = None,
) -> dict[str, list[Later]]:
    """Per dead letter (its ``position``), the events for its key that ``group`` has read
    on the source partition after it; empty for one without a key or known origin.
    ``dead_ids``: the event ids of all the group's dead letters (default: ``letters``')."""
    origins = {letter.position: _origin(letter) for letter in letters}
    starts: dict[TopicPartition, int] = {}
    keys: dict[TopicPartition, set[bytes]] = defaultdict(set)
    for letter in letters:
        origin = origins[letter.position]
        if origin is not None and letter.key is not None:
            tp, offset = origin
            starts[tp] = min(starts.get(tp, offset + 1), offset + 1)
            keys[tp].add(letter.key)
    found = await _keyed_records(kafka, starts, keys)
    # Events that are dead letters themselves were never applied by the group: a burst of
    # failures for one key replays in its order without --force.
    dead = dead_ids if dead_ids is not None else {e.event_id for e in letters if e.event_id}
    newer: dict[str, list[Later]] = {}
    for letter in letters:
        origin = origins[letter.position]
        if origin is None:
            newer[letter.position] = []
            continue
        tp, offset = origin
        newer[letter.position] = [
            Later(record_offset, event_type, event_id)
            for record_offset, key, event_type, event_id, headers in found.get(tp, [])
            if record_offset > offset
            and key == letter.key
            and event_id != letter.event_id
            and event_id not in dead
            and meant_for(headers, group)
        ]
    return newer


Record = tuple[int, bytes, str, str, list[tuple[str, bytes | None]]]


async def _keyed_records(
    kafka: str | KafkaConnection,
    starts: dict[TopicPartition, int],
    keys: dict[TopicPartition, set[bytes]],
) -> dict[TopicPartition, list[Record]]:
    """The records with one of ``keys`` from ``starts`` to each partition's end as it was
    when asked (no consumer group: nothing is committed)."""
    if not starts:
        return {}
    consumer = AIOKafkaConsumer(
        **connection_of(kafka).client_options(),
        group_id=None,
        enable_auto_commit=False,
        # a start retention already deleted: from the oldest record kept, not the end
        # (which would find no newer events and let an old one replay over new state)
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        consumer.assign(list(starts))
        end = await consumer.end_offsets(list(starts))
        pending = {}
        for tp, first in starts.items():
            if first < end[tp]:
                consumer.seek(tp, first)
                pending[tp] = end[tp]
            else:
                consumer.pause(tp)
        found: dict[TopicPartition, list[Record]] = defaultdict(list)
        deadline = time.monotonic() + READ_TIMEOUT_SECONDS
        while pending:
            if time.monotonic() > deadline:
                raise TimeoutError(f"reading {sorted(map(str, pending))} took too long")
            batch = await consumer.getmany(*pending, timeout_ms=200)
            for tp, records in batch.items():
                for record in records:
                    if record.offset < end[tp] and record.key in keys[tp]:
                        headers = list(record.headers)
                        found[tp].append(
                            (
                                record.offset,
                                record.key,
                                _header(headers, "ce_type"),
                                _header(headers, "ce_id"),
                                headers,
                            )
                        )
            for tp in list(pending):
                if await consumer.position(tp) >= pending[tp]:
                    consumer.pause(tp)
                    del pending[tp]
            await asyncio.sleep(0)
        return found
    finally:
        await consumer.stop()


def _header(headers: list[tuple[str, bytes | None]], name: str) -> str:
    for key, value in headers:
        if key == name:
            return (value or b"").decode(errors="replace")
    return ""
