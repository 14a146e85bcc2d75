"""The inbox: processed event ids, recorded in the same transaction as their effect."""

from __future__ import annotations

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
    insert = pg_insert if dialect_of(session) == "postgresql" else sqlite_insert
    statement = (
        insert(inbox)
        .values(
            consumer_group=consumer_group,
            event_id=event_id,
            event_type=event_type,
            processed_at=utcnow(),
        )
        .on_conflict_do_nothing()
        .returning(inbox.c.event_id)
    )
    return (await session.execute(statement)).first() is not None
