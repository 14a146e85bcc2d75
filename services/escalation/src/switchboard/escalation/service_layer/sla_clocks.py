"""Starting, pausing, completing and firing SLA clocks; every change writes the outbox."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import SlaAchieved, SlaBreached, SlaWarned
from switchboard.contracts.events.common import Channel, Priority
from switchboard.contracts.events.sla import SlaMetric
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.domain.calendar import BusinessCalendar
from switchboard.escalation.domain.sla import (
    BREACH_FRACTION,
    CaseProfile,
    ClockState,
    Metric,
    SlaClock,
    SlaPolicy,
)
from switchboard.escalation.metrics import SLA_THRESHOLDS_FIRED
from switchboard.servicekit import timers
from switchboard.servicekit.outbox import add_event, add_events

SOURCE = "/switchboard/escalation"
SLA_TIMER = "sla-clock"


def case_profile(case: CaseRow) -> CaseProfile:
    return CaseProfile(
        priority=Priority(case.priority).name.lower(),
        channel=case.channel,
        region=case.region,
        customer_tier=case.customer_tier or "standard",
    )


async def start_clock(
    *,
    session: AsyncSession,
    case: CaseRow,
    policy: SlaPolicy,
    metric: Metric,
    calendar: BusinessCalendar,
    at: datetime,
) -> ClockRow | None:
    if metric not in policy.targets:
        return None
    clock = SlaClock.start(metric=metric, policy=policy, at=at)
    row = ClockRow(
        clock_id=str(uuid.uuid4()),
        case_id=case.case_id,
        metric=metric.value,
        policy=policy.name,
        region=case.region,
        escalate_at=sorted(policy.escalate_at_fractions),
        started_at=at,
    )
    repository.write_clock(row, clock)
    session.add(row)
    await schedule_next(session=session, row=row, clock=clock, calendar=calendar)
    return row


async def start_case_clocks(
    *, session: AsyncSession, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    policy = loaded.book.sla_policy_for(case_profile(case))
    case.sla_policy = policy.name if policy else None
    if policy is None:
        return
    calendar = loaded.book.calendar_for(case.region)
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        await start_clock(
            session=session, case=case, policy=policy, metric=metric, calendar=calendar, at=at
        )


async def schedule_next(
    *, session: AsyncSession, row: ClockRow, clock: SlaClock, calendar: BusinessCalendar
) -> None:
    await session.flush()
    upcoming = clock.next_due(calendar=calendar)
    if upcoming is None:
        await timers.cancel(session, kind=SLA_TIMER, key=row.clock_id)
    else:
        await timers.schedule(session, kind=SLA_TIMER, key=row.clock_id, due_at=upcoming[1])


async def complete_clocks(
    *,
    session: AsyncSession,
    case: CaseRow,
    metrics: tuple[Metric, ...],
    loaded: LoadedConfig,
    at: datetime,
) -> None:
    """The response or resolution happened: stop the clocks and say how they ended."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(session, case.case_id, metrics):
        before = repository.clock_from_row(row)
        clock = before.complete(at=at, calendar=calendar)
        repository.write_clock(row, clock)
        await timers.cancel(session, kind=SLA_TIMER, key=row.clock_id)
        if clock.state is ClockState.ACHIEVED:
            await _emit(
                session, _sla_event(SlaAchieved, row, clock, case, calendar, at, achieved_at=at)
            )
        elif BREACH_FRACTION not in before.fired:
            await _emit(
                session, _sla_event(SlaBreached, row, clock, case, calendar, at, breached_at=at)
            )


async def pause_clocks(
    *, session: AsyncSession, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    """The case now waits on the customer."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(session, case.case_id, (Metric.RESOLUTION,)):
        clock = repository.clock_from_row(row).pause(at=at, calendar=calendar)
        repository.write_clock(row, clock)
        await schedule_next(session=session, row=row, clock=clock, calendar=calendar)


async def resume_clocks(
    *, session: AsyncSession, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    """The customer wrote: the clocks count again."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(session, case.case_id, (Metric.RESOLUTION,)):
        clock = repository.clock_from_row(row).resume(at=at)
        repository.write_clock(row, clock)
        await schedule_next(session=session, row=row, clock=clock, calendar=calendar)


async def retarget_case(*, session: AsyncSession, case: CaseRow, loaded: LoadedConfig) -> None:
    """The priority changed: apply the policy that now matches to the running clocks."""
    policy = loaded.book.sla_policy_for(case_profile(case))
    if policy is None or policy.name == case.sla_policy:
        return
    case.sla_policy = policy.name
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(session, case.case_id):
        if Metric(row.metric) not in policy.targets:
            continue
        clock = repository.clock_from_row(row).retarget(policy=policy)
        repository.write_clock(row, clock)
        row.policy = policy.name
        row.escalate_at = sorted(policy.escalate_at_fractions)
        await schedule_next(session=session, row=row, clock=clock, calendar=calendar)


@dataclass(frozen=True)
class FiredClock:
    case_id: str
    metric: Metric
    policy: str
    case_status: str
    to_escalate: tuple[float, ...]


async def fire_clocks(
    *, session: AsyncSession, clock_ids: Sequence[str], loaded: LoadedConfig, now: datetime
) -> list[FiredClock]:
    """Many clocks' timers fell due: emit each threshold reached, once, for all of them.

    Set-based, so a burst of due clocks costs a handful of statements, not a handful per
    clock: one locked SELECT, one executemany UPDATE (only the clocks that fired a
    threshold), one outbox insert and one timer upsert. Returns one `FiredClock` per clock
    found (ids without a clock are skipped), in lock order."""
    rows = await repository.due_clocks(session, clock_ids)
    changed: list[tuple[str, SlaClock]] = []
    envelopes: list[Envelope[Any]] = []
    upcoming_timers: list[tuple[str, datetime, dict[str, Any] | None]] = []
    counted: list[tuple[str, str]] = []
    results: list[FiredClock] = []
    for row in rows:
        calendar = loaded.book.calendar_for(row.region)
        clock, fired = repository.clock_from_row(row).fire_due(at=now, calendar=calendar)
        if fired:
            changed.append((row.clock_id, clock))
        for fraction in fired:
            if fraction == BREACH_FRACTION:
                event: SlaWarned | SlaBreached = _sla_event(
                    SlaBreached, row, clock, row, calendar, now, breached_at=now
                )
            else:
                event = _sla_event(
                    SlaWarned,
                    row,
                    clock,
                    row,
                    calendar,
                    now,
                    threshold=fraction,
                    fraction=fraction,
                    warned_at=now,
                )
            envelopes.append(Envelope(data=event, source=SOURCE))
            counted.append((row.metric, "breach" if fraction == BREACH_FRACTION else "warning"))
        upcoming = clock.next_due(calendar=calendar)
        if upcoming is not None:  # the poller already removed the timer that fired
            upcoming_timers.append((row.clock_id, upcoming[1], None))
        results.append(
            FiredClock(
                case_id=row.case_id,
                metric=Metric(row.metric),
                policy=row.policy,
                case_status=row.case_status,
                to_escalate=tuple(f for f in fired if f in row.escalate_at),
            )
        )
    # Clock rows first, then their events: the ordering rule of the outbox (see servicekit).
    await repository.save_fired_clocks(session, changed)
    await add_events(session, envelopes)
    await timers.schedule_many(session, kind=SLA_TIMER, due=upcoming_timers)
    for metric, kind in counted:
        SLA_THRESHOLDS_FIRED.labels(metric, kind).inc()
    return results


SlaEventType = TypeVar("SlaEventType", SlaWarned, SlaBreached, SlaAchieved)


def _sla_event(
    event_type: type[SlaEventType],
    row: ClockRow | Any,
    clock: SlaClock,
    case: CaseRow | Any,
    calendar: BusinessCalendar,
    at: datetime,
    *,
    threshold: float = BREACH_FRACTION,
    **when: Any,
) -> SlaEventType:
    """One of the SLA events of a clock, with the case fields every SLA event carries."""
    due = clock.due_at(threshold, calendar=calendar) or clock.completed_at or at
    return event_type(
        clock_id=row.clock_id,
        case_id=row.case_id,
        metric=SlaMetric(row.metric),
        policy_id=row.policy,
        target_seconds=clock.target.total_seconds(),
        elapsed_seconds=clock.elapsed(at=at, calendar=calendar).total_seconds(),
        due_at=due,
        region=case.region,
        channel=Channel(case.channel),
        priority=Priority(case.priority),
        agent_id=case.agent_id,
        team=case.team,
        **when,
    )


async def _emit(session: AsyncSession, event: SlaWarned | SlaBreached | SlaAchieved) -> None:
    await add_event(session, Envelope(data=event, source=SOURCE))
