"""Queue position and estimated wait read from the database, for cases in pools another
replica indexes (the owner's routing index answers from memory; these answer from the rows)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import CaseRow, OfferRow
from switchboard.routing.domain.model import ItemState

PACE_WINDOW = timedelta(minutes=15)
"""Offers over this recent window give the pool's pace."""


async def queue_position(session: AsyncSession, case: CaseRow) -> int | None:
    """Waiting cases of the same pool and channel served before this one: a higher
    priority, or the same and enqueued earlier (0-based; None unless it is waiting)."""
    if case.state != ItemState.WAITING.value:
        return None
    ahead = select(func.count()).where(
        CaseRow.state == ItemState.WAITING.value,
        CaseRow.pool == case.pool,
        CaseRow.channel == case.channel,
        or_(
            CaseRow.priority < case.priority,
            and_(CaseRow.priority == case.priority, CaseRow.enqueued_at < case.enqueued_at),
            and_(
                CaseRow.priority == case.priority,
                CaseRow.enqueued_at == case.enqueued_at,
                CaseRow.case_id < case.case_id,
            ),
        ),
    )
    return int(await session.scalar(ahead) or 0)


async def estimated_wait(
    session: AsyncSession, case: CaseRow, position: int | None, *, now: datetime
) -> timedelta | None:
    """(position + 1) cases at the pace of the pool and channel's recent offers."""
    if position is None:
        return None
    pace = await session.execute(
        select(func.count(), func.min(OfferRow.offered_at), func.max(OfferRow.offered_at))
        .select_from(OfferRow)
        .join(CaseRow, CaseRow.case_id == OfferRow.case_id)
        .where(
            CaseRow.pool == case.pool,
            CaseRow.channel == case.channel,
            OfferRow.offered_at >= now - PACE_WINDOW,
        )
    )
    count, first, last = pace.one()
    if count < 2 or first is None or last is None or last <= first:
        return None
    per_second = (count - 1) / (last - first).total_seconds()
    return timedelta(seconds=(position + 1) / per_second)
