"""The inbox: processed event ids, recorded in the same transaction as their effect."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.servicekit.db.engine import dialect_of
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.tables import inbox


async def record_once(
    session: AsyncSession, *, consumer_group: str, event_id: str, event_type: str
) -> bool:
    """Record the event as processed; False when it already was (a redelivery)."""
    new = await record_new(session, consumer_group=consumer_group, events=[(event_id, event_type)])
    return event_id in new


async def record_new(
    session: AsyncSession, *, consumer_group: str, events: Sequence[tuple[str, str]]
) -> set[str]:
    """Record several events (id, type) with one statement; the ids not seen before."""
    if not events:
        return set()
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    now = utcnow()
    rows = {
        event_id: {
            "consumer_group": consumer_group,
            "event_id": event_id,
            "event_type": event_type,
            "processed_at": now,
        }
        for event_id, event_type in events
    }
    statement = (
        insert(inbox)
        .values(list(rows.values()))
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return set((await session.scalars(statement)).all())
