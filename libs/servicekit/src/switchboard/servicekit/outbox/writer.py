"""Writing events into the outbox inside the caller's own transaction."""

from __future__ import annotations

import asyncio
import contextlib
import json
import zlib
from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.servicekit.db.engine import dialect_of
from switchboard.servicekit.db.hooks import call_after_commit
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.telemetry import current_trace_headers

LANES = 64
"""Rows of one key always share a lane; a relay publishes a lane alone, which keeps order."""


def lane_of(key: str) -> int:
    return zlib.crc32(key.encode()) % LANES


async def add_event(session: AsyncSession, envelope: Envelope[Event]) -> None:
    """Stage an event in the session's transaction; it is published only if that commits."""
    await add_events(session, [envelope])


async def add_events(session: AsyncSession, envelopes: Sequence[Envelope[Event]]) -> None:
    """Stage several events with one statement, in the given order."""
    if not envelopes:
        return
    trace = current_trace_headers()
    now = utcnow()
    rows = []
    for envelope in envelopes:
        if not envelope.trace and trace:
            envelope = replace(envelope, trace=trace)
        record = encode(envelope)
        rows.append(
            {
                "event_id": envelope.id,
                "lane": lane_of(envelope.key),
                "topic": record.topic,
                "key": envelope.key,
                "event_type": envelope.type,
                "headers": [[k, v.decode()] for k, v in record.headers],
                "payload": record.value,
                "created_at": now,
            }
        )
    if dialect_of(session) == "postgresql":
        columns = {name: [row[name] for row in rows] for name in _ARRAY_COLUMNS}
        columns["headers"] = [json.dumps(headers) for headers in columns["headers"]]
        await session.execute(_INSERT_ARRAYS, columns)
    else:
        await session.execute(insert(outbox), rows)
    call_after_commit(session, _wake_relays)


_ARRAY_COLUMNS = (
    "event_id",
    "lane",
    "topic",
    "key",
    "event_type",
    "headers",
    "payload",
    "created_at",
)
_INSERT_ARRAYS = text(
    "INSERT INTO sk_outbox (event_id, lane, topic, key, event_type, headers, payload, created_at)"
    " SELECT event_id, lane, topic, key, event_type, CAST(headers AS JSON), payload, created_at"
    " FROM unnest(CAST(:event_id AS VARCHAR[]), CAST(:lane AS INTEGER[]),"
    " CAST(:topic AS VARCHAR[]), CAST(:key AS VARCHAR[]), CAST(:event_type AS VARCHAR[]),"
    " CAST(:headers AS TEXT[]), CAST(:payload AS BYTEA[]), CAST(:created_at AS TIMESTAMPTZ[]))"
    " WITH ORDINALITY AS staged"
    " (event_id, lane, topic, key, event_type, headers, payload, created_at, position)"
    " ORDER BY position"
)
"""PostgreSQL: the rows as one array per column, in one statement (not one per row), in
the given order."""


class OutboxWakeup:
    """Wakes the in-process relay right after a transaction that wrote the outbox commits."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        _wakeups.add(self)

    async def wait(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), seconds)
        self._event.clear()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        """Woken and not waited on since."""
        return self._event.is_set()

    def close(self) -> None:
        _wakeups.discard(self)


_wakeups: set[OutboxWakeup] = set()


def _wake_relays() -> None:
    for wakeup in list(_wakeups):
        wakeup.set()
