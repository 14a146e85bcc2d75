"""The cases at risk now: first-response clocks predicted to breach, not cleared by an
offer and not yet stopped, with their case (routing's last wait forecast of it)."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters.orm import CaseRow, ClockRow


async def cases_at_risk(
    session: AsyncSession, *, regions: Collection[str] | None, limit: int
) -> list[tuple[ClockRow, CaseRow]]:
    """Those predicted first first; ``regions`` None: every region."""
    query = (
        select(ClockRow, CaseRow)
        .join(CaseRow, CaseRow.case_id == ClockRow.case_id)
        .where(
            ClockRow.at_risk_at.is_not(None),
            ClockRow.risk_cleared_at.is_(None),
            ClockRow.completed_at.is_(None),
        )
        .order_by(ClockRow.at_risk_at, ClockRow.clock_id)
        .limit(limit)
    )
    if regions is not None:
        query = query.where(CaseRow.region.in_(sorted(regions)))
    return [(clock, case) for clock, case in (await session.execute(query)).all()]
