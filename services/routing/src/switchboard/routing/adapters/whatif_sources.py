"""Where a recorded day comes from: routing's two topics, read from the broker between
two moments, and the agents' profiles as routing has them registered."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import UndecodableEvent, decode
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import AGENT_STATUS, ASSIGNMENTS
from switchboard.routing.adapters.orm import AgentRow
from switchboard.routing.adapters.records import channel_counts
from switchboard.routing.adapters.whatif_reading import recorded_day
from switchboard.routing.domain.whatif.recording import AgentDay, RecordedDay
from switchboard.servicekit.faults import DependencyUnavailable
from switchboard.servicekit.kafka import KafkaConnection
from switchboard.servicekit.kafka_positions import ReadPositions


async def read_day(
    kafka: KafkaConnection, session: AsyncSession, *, start: datetime, end: datetime
) -> RecordedDay:
    profiles = await agent_profiles(session)
    events = await topic_events(kafka, start=start)
    return await asyncio.to_thread(recorded_day, events, start=start, end=end, profiles=profiles)


async def agent_profiles(session: AsyncSession) -> dict[str, AgentDay]:
    rows = (await session.scalars(select(AgentRow))).all()
    return {
        row.id: AgentDay(
            id=row.id,
            pools=frozenset(row.pools),
            region=row.region,
            team=row.team or "",
            skills={name: int(level) for name, level in row.skills.items()},
            languages=frozenset(row.languages),
            capacity=channel_counts(row.capacity),
        )
        for row in rows
    }


READ_SECONDS = 120.0
"""Longest a day's reading may take: a broker gone meanwhile answers 503, not a hang."""


async def topic_events(kafka: KafkaConnection, *, start: datetime) -> list[Event]:
    """The assignments from ``start`` and every agent status change (presence at the
    start needs the changes before it), each topic in its partitions' order, up to the
    ends the topics had when reading began. Records are decoded off the event loop, which
    keeps routing's offers going meanwhile; a consumer re-assignment mid-read neither
    repeats nor skips a record (``ReadPositions``)."""
    topics = (AGENT_STATUS.name, ASSIGNMENTS.name)
    consumer = AIOKafkaConsumer(
        *topics,
        **kafka.client_options(),
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        partitions = await _assigned(consumer, set(topics))
        if not partitions:
            return []
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        moment = int(start.timestamp() * 1000)
        assignments = [p for p in partitions if p.topic == ASSIGNMENTS.name]
        found = await consumer.offsets_for_times({p: moment for p in assignments})
        for partition, offset in found.items():
            consumer.seek(partition, offset.offset if offset is not None else ends[partition])
        read = ReadPositions()
        for partition in partitions:
            read.pin(partition, await consumer.position(partition))
        events: dict[TopicPartition, list[Event]] = {p: [] for p in partitions}
        remaining = {p for p in partitions if read.next[p] < ends[p]}
        deadline = time.monotonic() + READ_SECONDS
        while remaining:
            if time.monotonic() > deadline:
                raise DependencyUnavailable("broker", f"the day not read in {READ_SECONDS:g} s")
            batch = await consumer.getmany(*remaining, timeout_ms=1000)
            for partition, records in batch.items():
                wanted = [
                    r for r in read.take(consumer, partition, records) if r.offset < ends[partition]
                ]
                events[partition] += await asyncio.to_thread(_decoded, wanted)
            remaining = {p for p in remaining if read.next[p] < ends[p]}
        return [event for partition in partitions for event in events[partition]]
    finally:
        await consumer.stop()


def _decoded(records: list[Any]) -> list[Event]:
    events = []
    for record in records:
        try:
            events.append(decode(REGISTRY, record.value, list(record.headers)).data)
        except UndecodableEvent:
            continue
    return events


async def _assigned(
    consumer: AIOKafkaConsumer, topics: set[str], timeout: float = 30.0
) -> list[TopicPartition]:
    """Every partition of ``topics`` (a topic not created yet has none), in a fixed order."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if {tp.topic for tp in consumer.assignment()} == topics:
            break
        await asyncio.sleep(0.05)
    return sorted(consumer.assignment(), key=lambda tp: (tp.topic, tp.partition))
