"""What the staffing advisor counts per pool, from routing's rows: cases opened since a
moment or in consecutive past intervals, the mean time from accept to resolution of cases
resolved since a moment, and the agents available now. Aggregate reads, none of them over
the whole case history (those of cases use the opened_at and resolved_at indexes)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import AgentRow, CaseRow, StaffingAnnouncementRow
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.pool_staffing import Announced, Standing
from switchboard.servicekit.db.engine import dialect_of


@dataclass(frozen=True, slots=True)
class Handling:
    resolved: int
    average_seconds: float


async def arrivals_since(session: AsyncSession, since: datetime) -> dict[str, int]:
    """Cases opened at or after ``since``, per pool."""
    query = (
        select(CaseRow.pool, func.count()).where(CaseRow.opened_at >= since).group_by(CaseRow.pool)
    )
    return {pool: count for pool, count in (await session.execute(query)).all()}


async def first_opened(session: AsyncSession) -> datetime | None:
    """When routing opened its first case (None: never)."""
    return await session.scalar(select(func.min(CaseRow.opened_at)))


async def arrivals_in(
    session: AsyncSession, starts: Sequence[datetime], length: timedelta
) -> dict[str, dict[datetime, int]]:
    """Per pool, the cases opened in each interval of ``length`` from ``starts`` (which
    follow one another, earliest first): one range over the opened_at index."""
    if not starts:
        return {}
    bucket = case(
        *((CaseRow.opened_at < start + length, n) for n, start in enumerate(starts)),
    )
    query = (
        select(CaseRow.pool, bucket, func.count())
        .where(CaseRow.opened_at >= starts[0], CaseRow.opened_at < starts[-1] + length)
        .group_by(CaseRow.pool, bucket)
    )
    counts: dict[str, dict[datetime, int]] = {}
    for pool, n, count in (await session.execute(query)).all():
        counts.setdefault(pool, {})[starts[n]] = count
    return counts


async def handling_since(session: AsyncSession, since: datetime) -> dict[str, Handling]:
    """Per pool, how many cases were resolved at or after ``since`` by an agent who had
    accepted them, and their mean seconds from accept to resolution."""
    seconds = _seconds_between(CaseRow.assigned_at, CaseRow.resolved_at, dialect_of(session))
    query = (
        select(CaseRow.pool, func.count(), func.avg(seconds))
        .where(CaseRow.resolved_at >= since, CaseRow.assigned_at.is_not(None))
        .group_by(CaseRow.pool)
    )
    rows: Sequence[Any] = (await session.execute(query)).all()
    return {
        pool: Handling(count, max(0.0, float(average)))
        for pool, count, average in rows
        if average is not None
    }


async def agents_available(session: AsyncSession) -> Counter[str]:
    """Agents present and taking work, per pool they serve (an agent counts in each)."""
    query = select(AgentRow.pools).where(AgentRow.presence == Presence.AVAILABLE.value)
    counts: Counter[str] = Counter()
    for pools in (await session.scalars(query)).all():
        counts.update(set(pools))
    return counts


async def announcements(session: AsyncSession) -> dict[str, StaffingAnnouncementRow]:
    """Every pool's last announcement, locked until the transaction ends."""
    query = select(StaffingAnnouncementRow).with_for_update()
    return {row.pool: row for row in (await session.scalars(query)).all()}


async def announced_pools(session: AsyncSession) -> set[str]:
    """The pools announced at least once, without locking anything."""
    return set((await session.scalars(select(StaffingAnnouncementRow.pool))).all())


def announced(row: StaffingAnnouncementRow | None) -> Announced | None:
    if row is None:
        return None
    return Announced(Standing(row.standing), row.interval_number)


def _seconds_between(
    start: ColumnElement[Any] | Any, end: ColumnElement[Any] | Any, dialect: str
) -> ColumnElement[Any]:
    if dialect == "sqlite":  # instants stored as text, in UTC
        return (func.julianday(end) - func.julianday(start)) * 86400.0
    return func.extract("epoch", end - start)
