"""Rows to domain objects and back, the revision counter, and reading what changed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from switchboard.routing.adapters.orm import AgentRow, CaseRow, PolicyDocumentRow, RevisionCounter
from switchboard.routing.domain.model import (
    Agent,
    Capacity,
    Channel,
    ItemState,
    Presence,
    WorkItem,
)


def pool_for(*, region: str, department: str | None, by_department: bool) -> str:
    if by_department and department:
        return f"{region}/{department}"
    return region


def channel_counts(raw: Mapping[str, Any]) -> dict[Channel, int]:
    return {Channel(name): int(count) for name, count in raw.items()}


def capacity_of(row: AgentRow) -> Capacity:
    return Capacity(limits=channel_counts(row.capacity))


def agent_from_row(row: AgentRow) -> Agent:
    return Agent(
        id=row.id,
        pools=frozenset(row.pools),
        skills={name: int(level) for name, level in row.skills.items()},
        languages=frozenset(row.languages),
        region=row.region,
        team=row.team or "",
        capacity=capacity_of(row),
        presence=Presence(row.presence),
        idle_since=row.idle_since,
        load=channel_counts(row.load),
    )


def item_from_row(row: CaseRow) -> WorkItem:
    return WorkItem(
        case_id=row.case_id,
        pool=row.pool,
        channel=Channel(row.channel),
        priority=row.priority,
        enqueued_at=row.enqueued_at,
        language=row.language,
        region=row.region,
        department=row.department or "",
        preferred_agent=row.preferred_agent,
        preferred_until=row.preferred_until,
        excluded_agents=frozenset(row.excluded_agents),
        policy=row.policy,
        step=row.step,
        step_started_at=row.step_started_at,
    )


def add_load(row: AgentRow, channel: str, delta: int) -> None:
    """Assign a new dict so the JSON column is seen as changed."""
    load = dict(row.load)
    load[channel] = max(0, int(load.get(channel, 0)) + delta)
    row.load = load


@dataclass(frozen=True)
class Changes:
    revision: int
    agents: list[AgentRow]
    cases: list[CaseRow]
    """Changed cases waiting in a wanted pool, read whole."""
    settled: list[str]
    """Changed cases no longer waiting, or in pools not wanted: only their ids."""
    policy_document: dict[str, Any] | None


async def changes_since(
    session: AsyncSession, revision: int, *, wanted: Callable[[str], bool] = lambda pool: True
) -> Changes:
    """Everything committed after ``revision`` up to the counter's value read first.

    A visible counter value means every transaction up to it has committed, so reading
    rows at or below it (statement by statement) misses nothing. Of the changed cases only
    those waiting in a ``wanted`` pool are read whole; most changes (offers, answers) only
    take a case out of the index, for which its id is enough.
    """
    top = int((await session.execute(select(RevisionCounter.value))).scalar_one())
    if top <= revision:
        return Changes(revision, [], [], [], None)
    in_window = (revision + 1, top)
    agents = await session.scalars(select(AgentRow).where(AgentRow.revision.between(*in_window)))
    changed = await session.execute(
        select(CaseRow.case_id, CaseRow.state, CaseRow.pool).where(
            CaseRow.revision.between(*in_window)
        )
    )
    waiting: list[str] = []
    settled: list[str] = []
    for case_id, state, pool in changed:
        (waiting if state == ItemState.WAITING.value and wanted(pool) else settled).append(case_id)
    cases = []
    if waiting:  # read whole now, possibly newer than ``top``: the caller checks again
        cases = list(await session.scalars(select(CaseRow).where(CaseRow.case_id.in_(waiting))))
    document = await session.scalar(
        select(PolicyDocumentRow).where(PolicyDocumentRow.revision.between(*in_window))
    )
    return Changes(top, list(agents.all()), cases, settled, document.document if document else None)


def utc_iso(moment: datetime) -> str:
    return moment.isoformat()


Stamped = AgentRow | CaseRow | PolicyDocumentRow
_TO_STAMP = "switchboard.routing.to-stamp"


def stamp(session: AsyncSession, *rows: Stamped) -> None:
    """Give the touched rows this transaction's revision. The revision is taken once, as
    the transaction commits, so the counter row is held only for the commit itself."""
    session.sync_session.info.setdefault(_TO_STAMP, []).extend(rows)


@event.listens_for(Session, "before_commit")
def _stamp_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint: the outermost commit stamps
    rows: list[Stamped] = session.info.pop(_TO_STAMP, [])
    if not rows:
        return
    with session.no_autoflush:  # rows not flushed yet are then written once, with it
        revision = session.execute(
            update(RevisionCounter)
            .where(RevisionCounter.id == 1)
            .values(value=RevisionCounter.value + 1)
            .returning(RevisionCounter.value)
        ).scalar_one()
    for row in rows:
        row.revision = int(revision)


@event.listens_for(Session, "after_transaction_end")
def _forget_unstamped(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_TO_STAMP, None)
