"""Starting, pausing, completing and firing SLA clocks; every change publishes its event."""

from __future__ import annotations

import uuid
from collections import Counter as Tally
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from prometheus_client import Counter

from switchboard.contracts.events import SlaAchieved, SlaBreached, SlaWarned
from switchboard.contracts.events.common import Channel, Priority
from switchboard.contracts.events.sla import SlaMetric
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.domain.calendar import BusinessCalendar
from switchboard.escalation.domain.cases import CaseStatus
from switchboard.escalation.domain.escalation import TriggerKind
from switchboard.escalation.domain.sla import (
    BREACH_FRACTION,
    CaseProfile,
    ClockState,
    Metric,
    SlaClock,
    SlaPolicy,
)
from switchboard.escalation.service_layer import escalations
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.db.hooks import call_after_commit
from switchboard.servicekit.timers import Timer

SLA_TIMER = "sla-clock"
SLA_THRESHOLDS_FIRED = Counter(
    "escalation_sla_thresholds_fired_total",
    "SLA warnings and breaches emitted, by metric and kind",
    ["metric", "kind"],
)
SLA_OUTCOMES = Counter(
    "escalation_sla_outcomes_total",
    "SLA clocks settled, by the case's region, metric and outcome: breached (when the breach "
    "fires, or at completion if it came first) or achieved; each clock counts once",
    ["region", "metric", "outcome"],
)


def _count_outcome(
    uow: EscalationUnitOfWork, region: str, metric: str, outcome: str, count: int = 1
) -> None:
    """Counted once the transaction commits: a retried one does not count its clocks twice."""
    call_after_commit(uow.session, partial(SLA_OUTCOMES.labels(region, metric, outcome).inc, count))


def case_profile(case: CaseRow) -> CaseProfile:
    return CaseProfile(
        priority=Priority(case.priority).name.lower(),
        channel=case.channel,
        region=case.region,
        customer_tier=case.customer_tier or "standard",
    )


async def start_clock(
    *,
    uow: EscalationUnitOfWork,
    case: CaseRow,
    policy: SlaPolicy,
    metric: Metric,
    calendar: BusinessCalendar,
    at: datetime,
) -> None:
    if metric not in policy.targets:
        return
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
    uow.session.add(row)
    await _schedule_next(uow, row, clock, calendar)


async def start_case_clocks(
    *, uow: EscalationUnitOfWork, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    policy = loaded.book.sla_policy_for(case_profile(case))
    case.sla_policy = policy.name if policy else None
    if policy is None:
        return
    calendar = loaded.book.calendar_for(case.region)
    for metric in (Metric.FIRST_RESPONSE, Metric.RESOLUTION):
        await start_clock(
            uow=uow, case=case, policy=policy, metric=metric, calendar=calendar, at=at
        )


async def _schedule_next(
    uow: EscalationUnitOfWork, row: ClockRow, clock: SlaClock, calendar: BusinessCalendar
) -> None:
    await uow.session.flush()
    upcoming = clock.next_due(calendar=calendar)
    if upcoming is None:
        await uow.cancel(SLA_TIMER, row.clock_id)
    else:
        await uow.schedule(SLA_TIMER, row.clock_id, upcoming[1])


async def complete_clocks(
    *,
    uow: EscalationUnitOfWork,
    case: CaseRow,
    metrics: tuple[Metric, ...],
    loaded: LoadedConfig,
    at: datetime,
) -> None:
    """The response or resolution happened: stop the clocks and say how they ended."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(uow.session, case.case_id, metrics):
        before = repository.clock_from_row(row)
        clock = before.complete(at=at, calendar=calendar)
        repository.write_clock(row, clock)
        await uow.cancel(SLA_TIMER, row.clock_id)
        if clock.state is ClockState.ACHIEVED:
            await uow.publish(
                _sla_event(SlaAchieved, row, clock, case, calendar, at, achieved_at=at)
            )
            _count_outcome(uow, case.region, row.metric, "achieved")
        elif BREACH_FRACTION not in before.fired:
            await uow.publish(
                _sla_event(SlaBreached, row, clock, case, calendar, at, breached_at=at)
            )
            _count_outcome(uow, case.region, row.metric, "breached")


async def pause_clocks(
    *, uow: EscalationUnitOfWork, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    """The case now waits on the customer."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(uow.session, case.case_id, (Metric.RESOLUTION,)):
        clock = repository.clock_from_row(row).pause(at=at, calendar=calendar)
        repository.write_clock(row, clock)
        await _schedule_next(uow, row, clock, calendar)


async def resume_clocks(
    *, uow: EscalationUnitOfWork, case: CaseRow, loaded: LoadedConfig, at: datetime
) -> None:
    """The customer wrote: the clocks count again."""
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(uow.session, case.case_id, (Metric.RESOLUTION,)):
        clock = repository.clock_from_row(row).resume(at=at)
        repository.write_clock(row, clock)
        await _schedule_next(uow, row, clock, calendar)


async def retarget_case(*, uow: EscalationUnitOfWork, case: CaseRow, loaded: LoadedConfig) -> None:
    """The priority changed: apply the policy that now matches to the running clocks."""
    policy = loaded.book.sla_policy_for(case_profile(case))
    if policy is None or policy.name == case.sla_policy:
        return
    case.sla_policy = policy.name
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(uow.session, case.case_id):
        if Metric(row.metric) not in policy.targets:
            continue
        clock = repository.clock_from_row(row).retarget(policy=policy)
        repository.write_clock(row, clock)
        row.policy = policy.name
        row.escalate_at = sorted(policy.escalate_at_fractions)
        await _schedule_next(uow, row, clock, calendar)


@dataclass(frozen=True)
class FiredClock:
    case_id: str
    metric: Metric
    policy: str
    case_status: str
    to_escalate: tuple[float, ...]
    case: CaseFields
    """What an escalation of the case needs (read with the clock, not loaded again)."""


@dataclass(frozen=True)
class CaseFields:
    region: str
    priority: int
    customer_id: str
    vip: bool
    sla_policy: str | None


async def fire_sla_clock(timer: Timer, uow: EscalationUnitOfWork) -> None:
    """One clock's timer (for pollers without batch handlers): a batch of one."""
    await fire_sla_clocks([timer], uow)


async def fire_sla_clocks(batch: list[Timer], uow: EscalationUnitOfWork) -> None:
    """Many clocks' timers fell due: one config lookup, set-based clock updates, one outbox
    insert and one timer upsert; then the escalations the thresholds call for, raised
    together (one per case, not for a resolved one)."""
    loaded = await uow.deps.config.current(uow.session)
    now = uow.deps.clock()
    clock_ids = [timer.key for timer in batch]
    fired = await _fire_clocks(uow=uow, clock_ids=clock_ids, loaded=loaded, now=now)
    requests = [
        _escalation_request(loaded, clock)
        for clock in fired
        if clock.to_escalate and clock.case_status != CaseStatus.RESOLVED
    ]
    if requests:
        await escalations.raise_escalations(uow=uow, loaded=loaded, requests=requests, at=now)


def _escalation_request(loaded: LoadedConfig, fired: FiredClock) -> escalations.RaiseRequest:
    breach = BREACH_FRACTION in fired.to_escalate
    preferred = None
    for name in (fired.policy, fired.case.sla_policy):  # the clock's policy, else the case's
        policy = loaded.book.sla_policy_named(name) if name else None
        if preferred is None and policy is not None:
            preferred = policy.escalation_policy
    return escalations.RaiseRequest(
        case_id=fired.case_id,
        region=fired.case.region,
        priority=fired.case.priority,
        trigger=TriggerKind.SLA_BREACH if breach else TriggerKind.SLA_WARNING,
        raised_by=escalations.SYSTEM,
        customer_id=fired.case.customer_id,
        vip=fired.case.vip,
        reason=f"{fired.metric} {'breached' if breach else 'at risk'}",
        preferred_policy=preferred,
    )


async def _fire_clocks(
    *, uow: EscalationUnitOfWork, clock_ids: Sequence[str], loaded: LoadedConfig, now: datetime
) -> list[FiredClock]:
    """Emit each threshold reached, once, for all the clocks at once.

    Set-based, so a burst of due clocks costs a handful of statements, not a handful per
    clock: one locked SELECT, one executemany UPDATE (only the clocks that fired a
    threshold), one outbox insert and one timer upsert. Returns one `FiredClock` per clock
    found (ids without a clock are skipped), in lock order."""
    rows = await repository.due_clocks(uow.session, clock_ids)
    changed: list[tuple[str, SlaClock]] = []
    events: list[SlaWarned | SlaBreached] = []
    upcoming_timers: list[tuple[str, datetime, dict[str, Any] | None]] = []
    counted: list[tuple[str, str]] = []
    breached: list[tuple[str, str]] = []
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
            events.append(event)
            counted.append((row.metric, "breach" if fraction == BREACH_FRACTION else "warning"))
            if fraction == BREACH_FRACTION:
                breached.append((row.region, row.metric))
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
                case=CaseFields(
                    row.case_region, row.priority, row.customer_id, row.vip, row.sla_policy
                ),
            )
        )
    # Clock rows first, then their events: the ordering rule of the outbox (see servicekit).
    await repository.save_fired_clocks(uow.session, changed)
    await uow.publish(*events)
    await uow.schedule_many(SLA_TIMER, upcoming_timers)
    for (metric, kind), count in Tally(counted).items():
        SLA_THRESHOLDS_FIRED.labels(metric, kind).inc(count)
    for (region, metric), count in Tally(breached).items():
        _count_outcome(uow, region, metric, "breached", count)
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
