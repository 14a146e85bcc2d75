"""Rows ↔ domain objects, and the queries the handlers need."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Executable,
    Select,
    String,
    Table,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.escalation.adapters.orm import CaseRow, ClockRow, EscalationRow
from switchboard.escalation.domain.escalation import (
    Escalation,
    EscalationPolicy,
    EscalationStatus,
    TriggerKind,
)
from switchboard.escalation.domain.sla import ClockState, Metric, SlaClock
from switchboard.servicekit.db import dialect_of

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
ESCALATIONS = cast(Table, EscalationRow.__table__)


def _due_clocks(ids: ColumnElement[bool]) -> Select[Any]:
    return (
        select(
            CLOCKS,
            CASES.c.channel,
            CASES.c.priority,
            CASES.c.agent_id,
            CASES.c.team,
            CASES.c.status.label("case_status"),
            CASES.c.region.label("case_region"),
            CASES.c.customer_id,
            CASES.c.vip,
            CASES.c.sla_policy,
        )
        .join(CASES, CASES.c.case_id == CLOCKS.c.case_id)
        .where(ids)
        .order_by(CLOCKS.c.case_id, CLOCKS.c.started_at, CLOCKS.c.clock_id)
        .with_for_update(of=CLOCKS)
    )


# Built once: these run for every batch of fired timers, and building a statement costs
# more than executing it. PostgreSQL takes the ids as one array (the statement stays the
# same whatever their number) and updates from arrays in one statement, not one per row.
_DUE_IDS = (
    func.unnest(bindparam("clock_ids", type_=ARRAY(String)))
    .table_valued("clock_id")
    .render_derived(name="due_ids")
)
_DUE_CLOCKS = {
    # Joined to the unnested ids, not ``clock_id = ANY(:ids)``: from about a thousand ids
    # on, PostgreSQL plans ANY as sequential scans of every clock and case (the cost grows
    # with the open clocks, ~150 ms a batch at 240,000); the join stays index lookups.
    "postgresql": _due_clocks(CLOCKS.c.clock_id == _DUE_IDS.c.clock_id),
    "sqlite": _due_clocks(CLOCKS.c.clock_id.in_(bindparam("clock_ids", expanding=True))),
}
_SAVE_FIRED: dict[str, Executable] = {
    "postgresql": text(
        "UPDATE esc_sla_clocks SET fired = CAST(fired_now.fired AS JSON), state = fired_now.state"
        " FROM unnest(CAST(:clock_ids AS VARCHAR[]), CAST(:fired AS TEXT[]),"
        " CAST(:states AS VARCHAR[])) AS fired_now (clock_id, fired, state)"
        " WHERE esc_sla_clocks.clock_id = fired_now.clock_id"
    ),
    "sqlite": update(CLOCKS)
    .where(CLOCKS.c.clock_id == bindparam("target_clock_id"))
    .values(fired=bindparam("fired"), state=bindparam("state")),
}


async def due_clocks(session: AsyncSession, clock_ids: Sequence[str]) -> list[Any]:
    """Many clocks (with their case fields) in one locked SELECT; missing ids are skipped.

    Locked in (case, start) order, the order the event handlers lock a case's open clocks
    in, so that a batch and an event handler touching the same case tend to queue rather
    than deadlock (PostgreSQL still breaks any deadlock; the poller then retries alone)."""
    if not clock_ids:
        return []
    statement = _DUE_CLOCKS[dialect_of(session)]
    ids = list(dict.fromkeys(clock_ids))
    return list((await session.execute(statement, {"clock_ids": ids})).all())


async def save_fired_clocks(session: AsyncSession, fired: Sequence[tuple[str, SlaClock]]) -> None:
    """Store the fired thresholds and state of many clocks with one statement."""
    if not fired:
        return
    dialect = dialect_of(session)
    if dialect == "postgresql":
        await session.execute(
            _SAVE_FIRED[dialect],
            {
                "clock_ids": [clock_id for clock_id, _ in fired],
                "fired": [json.dumps(sorted(clock.fired)) for _, clock in fired],
                "states": [clock.state.value for _, clock in fired],
            },
        )
        return
    await session.execute(
        _SAVE_FIRED[dialect],
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


async def cases_with_active_escalations(session: AsyncSession, case_ids: Sequence[str]) -> set[str]:
    """Which of these cases have an active escalation, their rows locked (in one read)."""
    if not case_ids:
        return set()
    query = (
        select(EscalationRow.case_id)
        .where(
            EscalationRow.case_id.in_(sorted(set(case_ids))),
            EscalationRow.status.in_(ACTIVE_ESCALATION),
        )
        .with_for_update()
    )
    return set((await session.execute(query)).scalars())


async def add_escalations(
    session: AsyncSession, raised: Sequence[tuple[Escalation, dict[str, Any]]]
) -> None:
    """Insert new escalations with one statement; each with the row's fields the domain
    object does not hold (priority, reason, raised_by)."""
    if not raised:
        return
    rows = [
        {
            "escalation_id": escalation.escalation_id,
            "case_id": escalation.case_id,
            "region": escalation.region,
            "trigger": escalation.trigger.value,
            "policy": escalation.policy.name,
            "raised_at": escalation.raised_at,
            "status": escalation.status.value,
            "level_index": escalation.level_index,
            "cycle": escalation.cycle,
            "acknowledge_by": escalation.acknowledge_by,
            "assignee": escalation.assignee,
            "acknowledged_by": escalation.acknowledged_by,
            "resolved_by": escalation.resolved_by,
            **fields,
        }
        for escalation, fields in raised
    ]
    await session.execute(insert(ESCALATIONS), rows)


async def escalation_for_update(session: AsyncSession, escalation_id: str) -> EscalationRow | None:
    query = (
        select(EscalationRow).where(EscalationRow.escalation_id == escalation_id).with_for_update()
    )
    return (await session.execute(query)).scalar_one_or_none()
