"""What a coordinator's console shows: the agent directory and per-pool queue counts, read
from the rows (any replica answers, whichever pools it indexes)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.model import ItemState, Presence

QUEUED_STATES = (ItemState.WAITING, ItemState.OFFERED, ItemState.ASSIGNED)
"""Cases not yet resolved; a case in wrap-up is resolved and only holds its agent's slot."""


async def list_agents(
    session: AsyncSession,
    *,
    regions: Collection[str] | None,
    presence: Presence | None,
    limit: int,
) -> Sequence[AgentRow]:
    """Agents by id, of ``regions`` (None: every region), with that presence if given."""
    query = select(AgentRow).order_by(AgentRow.id).limit(limit)
    if regions is not None:
        query = query.where(AgentRow.region.in_(sorted(regions)))
    if presence is not None:
        query = query.where(AgentRow.presence == presence.value)
    return (await session.scalars(query)).all()


@dataclass(frozen=True, slots=True)
class QueueCounts:
    region: str
    pool: str
    waiting: int
    offered: int
    assigned: int
    oldest_waiting_since: datetime | None


def _count_in(state: ItemState) -> ColumnElement[int]:
    return func.count(case((CaseRow.state == state.value, 1)))


async def queue_counts(
    session: AsyncSession, *, regions: Collection[str] | None
) -> list[QueueCounts]:
    """One entry per (region, pool) with unresolved cases: counts per state and the oldest
    waiting case's enqueue time, in one aggregate query."""
    waiting_since = case((CaseRow.state == ItemState.WAITING.value, CaseRow.enqueued_at))
    query = (
        select(
            CaseRow.region,
            CaseRow.pool,
            _count_in(ItemState.WAITING),
            _count_in(ItemState.OFFERED),
            _count_in(ItemState.ASSIGNED),
            func.min(waiting_since),
        )
        .where(CaseRow.state.in_([state.value for state in QUEUED_STATES]))
        .group_by(CaseRow.region, CaseRow.pool)
        .order_by(CaseRow.region, CaseRow.pool)
    )
    if regions is not None:
        query = query.where(CaseRow.region.in_(sorted(regions)))
    return [QueueCounts(*row) for row in (await session.execute(query)).all()]
