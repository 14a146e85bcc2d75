"""Publishing outbox rows to Kafka: right after commit, with polling as the safety net.

Order: every row of one key is in one lane, and a relay publishes a lane only while it
holds that lane's advisory lock, so replicas never interleave one key's events. Rows are
claimed with ``FOR UPDATE SKIP LOCKED`` and deleted in the same transaction, which commits
only after Kafka acknowledged them; a crash in between republishes (consumers dedupe by
event id). While the broker or the database is unreachable the rows wait, the relay retries
with capped backoff and reports itself stalled, and the outbox's depth and oldest age keep
growing on /metrics.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections import Counter
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2
from opentelemetry.trace import SpanKind
from sqlalchemy import Integer, any_, delete, func, select, text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.servicekit.db.engine import dialect_of
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.metrics import (
    EVENTS_PUBLISHED,
    OUTBOX_DEPTH,
    OUTBOX_OLDEST_AGE,
    OUTBOX_PUBLISH_DELAY,
)
from switchboard.servicekit.outbox.writer import LANES, OutboxWakeup
from switchboard.servicekit.stalls import StallWatch
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.telemetry import (
    current_trace_headers,
    span_from_headers,
    tracing_enabled,
)

log = logging.getLogger(__name__)

ADVISORY_NAMESPACE = 0x5B0  # first key of pg_try_advisory_xact_lock(int, int)
_FREE_LANES = text(
    "SELECT array_agg(lane) AS lanes FROM generate_series(0, :last) AS lane"
    " WHERE pg_try_advisory_xact_lock(:ns, lane)"
)


@functools.cache
def _claim_statement(dialect: str, batch_size: int) -> Any:
    """DELETE … RETURNING of the oldest pending rows (built once: building it is a fair
    share of a small batch's cost)."""
    pending = select(outbox.c.id).order_by(outbox.c.id).limit(batch_size)
    if dialect == "postgresql":
        # One round trip: lock the free lanes, claim their pending rows and take them out.
        # Both steps are materialized CTEs, run once each. As subqueries, PostgreSQL ran the
        # lock function again for every pending row it walked past (a semi join) and could
        # rescan the claim per row: with a backlog of 50,000 rows a claim took minutes.
        free = (
            _FREE_LANES.bindparams(ns=ADVISORY_NAMESPACE, last=LANES - 1)
            .columns(lanes=ARRAY(Integer))
            .cte("free_lanes")
            .prefix_with("MATERIALIZED")
        )
        pending = pending.where(outbox.c.lane == any_(free.c.lanes))
        pending = pending.with_for_update(of=outbox, skip_locked=True)
        claimed = pending.cte("claimed").prefix_with("MATERIALIZED")
        return delete(outbox).where(outbox.c.id == claimed.c.id).returning(*outbox.c)
    return delete(outbox).where(outbox.c.id.in_(pending.scalar_subquery())).returning(*outbox.c)


class OutboxRelay:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        producer: AIOKafkaProducer,
        wakeup: OutboxWakeup | None = None,
        batch_size: int = 500,
        poll_seconds: float = 0.5,
    ) -> None:
        self._sessions = sessions
        self._producer = producer
        self._wakeup = wakeup or OutboxWakeup()
        self._batch_size = batch_size
        self._poll_seconds = poll_seconds
        self._stopping = asyncio.Event()
        self.stall = StallWatch("outbox relay", first_pause=poll_seconds)
        self._partitions: dict[str, list[int]] = {}

    @property
    def healthy(self) -> bool:
        return self.stall.current is None

    async def run(self) -> None:
        depth_at = 0.0
        loop = asyncio.get_running_loop()
        while not self._stopping.is_set():
            published = await self.stall.attempt(self.publish_once)
            if published is None:  # the rows stay pending and are tried again
                published = 0
                await self._sleep(self.stall.pause(self._poll_seconds))
                depth_at = 0.0
            if loop.time() >= depth_at:
                await self._report_depth()
                depth_at = loop.time() + 5.0
            if published < self._batch_size:
                await self._wakeup.wait(self._poll_seconds)

    def stop(self) -> None:
        self._stopping.set()
        self._wakeup.set()

    async def publish_once(self) -> int:
        """Publish one batch of pending rows; returns how many were published."""
        async with self._sessions() as session, session.begin():
            rows = await self._claim(session)
            if not rows:
                return 0
            await self._publish(rows)  # a failure rolls the deletes back: the rows stay
            acknowledged = utcnow()
            for row in rows:
                OUTBOX_PUBLISH_DELAY.observe((acknowledged - row.created_at).total_seconds())
        for topic, count in Counter(row.topic for row in rows).items():
            EVENTS_PUBLISHED.labels(topic).inc(count)
        return len(rows)

    async def _publish(self, rows: list[Any]) -> None:
        """Send rows as one record batch per partition, in id order, and await the acks."""
        by_partition: dict[tuple[str, int], list[tuple[Any, bytes]]] = {}
        for row in rows:
            key = row.key.encode()
            partition = await self._partition_of(row.topic, key)
            by_partition.setdefault((row.topic, partition), []).append((row, key))
        traced = tracing_enabled()
        acks = []
        for (topic, partition), partition_rows in by_partition.items():
            batch = self._producer.create_batch()
            for row, key in partition_rows:
                record = {"key": key, "value": row.payload, "timestamp": None}
                headers = self._headers(row, traced)
                if batch.append(**record, headers=headers) is None:
                    acks.append(await self._producer.send_batch(batch, topic, partition=partition))
                    batch = self._producer.create_batch()
                    batch.append(**record, headers=headers)
            acks.append(await self._producer.send_batch(batch, topic, partition=partition))
        await asyncio.gather(*acks)

    async def _partition_of(self, topic: str, key: bytes) -> int:
        partitions = self._partitions.get(topic)
        if partitions is None:
            partitions = sorted(await self._producer.partitions_for(topic))
            self._partitions[topic] = partitions
        return partition_for(key, partitions)

    def _headers(self, row: Any, traced: bool) -> list[tuple[str, bytes]]:
        if not traced:
            return [(k, v.encode()) for k, v in row.headers]
        headers = {k: v for k, v in row.headers}
        with span_from_headers(
            f"{row.topic} publish",
            headers,
            SpanKind.PRODUCER,
            {
                "messaging.system": "kafka",
                "messaging.destination.name": row.topic,
                "messaging.message.id": row.event_id,
                "messaging.kafka.message.key": row.key,
                "cloudevents.event_type": row.event_type,
            },
        ):
            headers.update(current_trace_headers())
        return [(k, v.encode()) for k, v in headers.items()]

    async def _claim(self, session: AsyncSession) -> list[Any]:
        """Take the oldest pending rows out and return them, in id order; that counts only
        if the caller's transaction commits, after Kafka acknowledged them."""
        claim = _claim_statement(dialect_of(session), self._batch_size)
        rows = (await session.execute(claim)).all()
        return sorted(rows, key=lambda row: row.id)

    async def _report_depth(self) -> None:
        try:
            async with self._sessions() as session:
                depth, oldest = (
                    await session.execute(select(func.count(), func.min(outbox.c.created_at)))
                ).one()
        except Exception:
            log.debug("reading the outbox depth failed", exc_info=True)
            return
        OUTBOX_DEPTH.set(depth or 0)
        age = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
        OUTBOX_OLDEST_AGE.set(max(age, 0.0))

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)


def partition_for(key: bytes, partitions: list[int]) -> int:
    """The partition every Kafka client picks for a keyed record (aiokafka's default
    partitioner, without its per-call set-up)."""
    hashed: int = murmur2(key)
    return partitions[(hashed & 0x7FFFFFFF) % len(partitions)]
