"""What the wait forecasts read from routing's rows: the waiting cases, the offers each
pool and channel had accepted since a moment (the answered_at index), and what was last
said of each case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import CaseRow, OfferRow, WaitForecastRow
from switchboard.routing.domain.model import ItemState
from switchboard.routing.domain.wait_forecast import WaitingCase


async def waiting_cases(session: AsyncSession) -> list[tuple[WaitingCase, str]]:
    """Every waiting case, with its region."""
    query = select(
        CaseRow.case_id,
        CaseRow.pool,
        CaseRow.channel,
        CaseRow.priority,
        CaseRow.enqueued_at,
        CaseRow.region,
    ).where(CaseRow.state == ItemState.WAITING.value)
    return [
        (WaitingCase(case_id, pool, channel, priority, enqueued_at), region)
        for case_id, pool, channel, priority, enqueued_at, region in (
            await session.execute(query)
        ).all()
    ]


async def accepted_since(
    session: AsyncSession, since: datetime
) -> dict[tuple[str, str], tuple[int, datetime | None]]:
    """Offers accepted at or after ``since``, per pool and channel of their case: how many,
    and when the first of them."""
    query = (
        select(CaseRow.pool, CaseRow.channel, func.count(), func.min(OfferRow.answered_at))
        .select_from(OfferRow)
        .join(CaseRow, CaseRow.case_id == OfferRow.case_id)
        .where(OfferRow.state == "accepted", OfferRow.answered_at >= since)
        .group_by(CaseRow.pool, CaseRow.channel)
    )
    rows = (await session.execute(query)).all()
    return {(pool, channel): (n, first) for pool, channel, n, first in rows}


async def forecasts_said(session: AsyncSession) -> dict[str, WaitForecastRow]:
    return {row.case_id: row for row in (await session.scalars(select(WaitForecastRow))).all()}


async def forget_forecasts(session: AsyncSession, case_ids: Iterable[str]) -> None:
    ids = sorted(case_ids)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        await session.execute(delete(WaitForecastRow).where(WaitForecastRow.case_id.in_(chunk)))
