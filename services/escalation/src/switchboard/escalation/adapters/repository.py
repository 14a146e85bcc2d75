"""Rows ↔ domain objects, and the queries the handlers need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters.orm import CaseRow, ClockRow, EscalationRow
from switchboard.escalation.domain.escalation import (
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    TriggerKind,
)
from switchboard.escalation.domain.sla import ClockState, Metric, SlaClock

ACTIVE_ESCALATION = (EscalationStatus.OPEN.value, EscalationStatus.ACKNOWLEDGED.value)


def clock_from_row(row: ClockRow | Any) -> SlaClock:
    return SlaClock(
        metric=Metric(row.metric),
        target=timedelta(seconds=row.target_seconds),
        thresholds=tuple(row.thresholds),
        state=ClockState(row.state),
        accumulated=timedelta(seconds=row.accumulated_seconds),
        running_since=row.running_since,
        fired=frozenset(row.fired),
        completed_at=row.completed_at,
    )


def write_clock(row: ClockRow, clock: SlaClock) -> None:
    row.target_seconds = clock.target.total_seconds()
    row.thresholds = list(clock.thresholds)
    row.fired = sorted(clock.fired)
    row.state = clock.state.value
    row.accumulated_seconds = clock.accumulated.total_seconds()
    row.running_since = clock.running_since
    row.completed_at = clock.completed_at


def escalation_from_row(row: EscalationRow, policy: EscalationPolicy) -> Escalation:
    return Escalation(
        escalation_id=row.escalation_id,
        case_id=row.case_id,
        region=row.region,
        trigger=TriggerKind(row.trigger),
        policy=policy,
        status=EscalationStatus(row.status),
        level_index=min(row.level_index, len(policy.levels) - 1),
        cycle=row.cycle,
        raised_at=row.raised_at,
        acknowledge_by=row.acknowledge_by,
        assignee=row.assignee,
        acknowledged_by=row.acknowledged_by,
        resolved_by=row.resolved_by,
    )


def write_escalation(row: EscalationRow, escalation: Escalation) -> None:
    row.status = escalation.status.value
    row.level_index = escalation.level_index
    row.cycle = escalation.cycle
    row.acknowledge_by = escalation.acknowledge_by
    row.assignee = escalation.assignee
    row.acknowledged_by = escalation.acknowledged_by
    row.resolved_by = escalation.resolved_by


async def case_for_update(session: AsyncSession, case_id: str) -> CaseRow | None:
    query = select(CaseRow).where(CaseRow.case_id == case_id).with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def open_clocks(
    session: AsyncSession, case_id: str, metrics: tuple[Metric, ...] = tuple(Metric)
) -> list[ClockRow]:
    query = (
        select(ClockRow)
        .where(
            ClockRow.case_id == case_id,
            ClockRow.completed_at.is_(None),
            ClockRow.metric.in_([m.value for m in metrics]),
        )
        .order_by(ClockRow.started_at)
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


CLOCKS = cast(Table, ClockRow.__table__)
CASES = cast(Table, CaseRow.__table__)


# Built once: these run for every batch of fired timers, and building a statement costs
# more than executing it.
_DUE_CLOCKS = (
    select(
        CLOCKS,
        CASES.c.channel,
        CASES.c.priority,
        CASES.c.agent_id,
        CASES.c.team,
        CASES.c.status.label("case_status"),
    )
    .join(CASES, CASES.c.case_id == CLOCKS.c.case_id)
    .where(CLOCKS.c.clock_id.in_(bindparam("clock_ids", expanding=True)))
    .order_by(CLOCKS.c.case_id, CLOCKS.c.started_at, CLOCKS.c.clock_id)
    .with_for_update(of=CLOCKS)
)
_SAVE_FIRED = (
    update(CLOCKS)
    .where(CLOCKS.c.clock_id == bindparam("target_clock_id"))
    .values(fired=bindparam("fired"), state=bindparam("state"))
)


async def due_clocks(session: AsyncSession, clock_ids: Sequence[str]) -> list[Any]:
    """Many clocks (with their case fields) in one locked SELECT; missing ids are skipped.

    Locked in (case, start) order, the order the event handlers lock a case's open clocks
    in, so that a batch and an event handler touching the same case tend to queue rather
    than deadlock (PostgreSQL still breaks any deadlock; the poller then retries alone)."""
    if not clock_ids:
        return []
    return list((await session.execute(_DUE_CLOCKS, {"clock_ids": list(clock_ids)})).all())


async def save_fired_clocks(session: AsyncSession, fired: Sequence[tuple[str, SlaClock]]) -> None:
    """Store the fired thresholds and state of many clocks with one executemany UPDATE."""
    if not fired:
        return
    await session.execute(
        _SAVE_FIRED,
        [
            {"target_clock_id": clock_id, "fired": sorted(clock.fired), "state": clock.state.value}
            for clock_id, clock in fired
        ],
    )


async def active_escalations(session: AsyncSession, case_id: str) -> list[EscalationRow]:
    query = (
        select(EscalationRow)
        .where(EscalationRow.case_id == case_id, EscalationRow.status.in_(ACTIVE_ESCALATION))
        .with_for_update()
    )
    return list((await session.execute(query)).scalars())


async def escalation_for_update(session: AsyncSession, escalation_id: str) -> EscalationRow | None:
    query = (
        select(EscalationRow).where(EscalationRow.escalation_id == escalation_id).with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()
