"""Predicted breach: routing's wait forecast of a waiting case (CaseWaitEstimated) set
against its first-response deadline; a case that will breach at this pace is predicted to
(SlaBreachPredicted, once per clock), and cleared when it is offered (SlaRiskCleared).

The first-response clock is the one an offer decides: the others run on after it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    CaseOffered,
    CaseWaitEstimated,
    SlaBreachPredicted,
    SlaRiskCleared,
)
from switchboard.contracts.events.common import Channel, Priority
from switchboard.contracts.events.sla import SlaMetric
from switchboard.escalation.adapters import repository
from switchboard.escalation.adapters.orm import CaseRow, ClockRow
from switchboard.escalation.domain.breach_prediction import BreachWatch, margin_for
from switchboard.escalation.domain.calendar import BusinessCalendar
from switchboard.escalation.domain.sla import BREACH_FRACTION, Metric, SlaClock
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork

PREDICTED = (Metric.FIRST_RESPONSE,)
SLA_AT_RISK = Counter(
    "escalation_sla_at_risk_total",
    "Clocks predicted to breach (predicted) and predictions cleared by an offer (cleared)",
    ["metric", "event"],
)


async def weigh_wait(message: Envelope[CaseWaitEstimated], uow: EscalationUnitOfWork) -> None:
    """Routing's forecast: kept with the case, and weighed against its deadline."""
    estimate = message.data
    case = await repository.case_for_update(uow.session, estimate.case_id)
    if case is None:
        return
    if case.offered_at is not None and estimate.estimated_at < case.offered_at:
        return  # reckoned before the offer, read after it
    case.queue_position, case.served_per_minute = estimate.position, estimate.served_per_minute
    case.expected_offer_at, case.wait_estimated_at = (
        estimate.expected_offer_at,
        estimate.estimated_at,
    )
    await predict_breach(uow=uow, case=case)


async def predict_breach(*, uow: EscalationUnitOfWork, case: CaseRow) -> None:
    """Each running first-response clock of the waiting case that its last forecast puts
    past the deadline, less the margin, is predicted to breach (once per clock)."""
    if case.wait_estimated_at is None or case.offered_at is not None:
        return
    loaded = await uow.deps.config.current(uow.session)
    calendar = loaded.book.calendar_for(case.region)
    at = uow.deps.clock()
    for row in await repository.open_clocks(uow.session, case.case_id, PREDICTED):
        clock = repository.clock_from_row(row)
        due_at = clock.due_at(BREACH_FRACTION, calendar=calendar)
        if due_at is None or BREACH_FRACTION in clock.fired:
            continue  # not counting, or breached already: nothing left to predict
        before = watch_of(row)
        margin = margin_for(clock.target, uow.deps.breach_margin_share)
        after = before.weigh(case.expected_offer_at, due_at=due_at, margin=margin, at=at)
        if after == before:
            continue
        row.at_risk_at = after.predicted_at
        await uow.publish(predicted(row, clock, case, calendar, margin, at))
        SLA_AT_RISK.labels(row.metric, "predicted").inc()


async def clear_risk(message: Envelope[CaseOffered], uow: EscalationUnitOfWork) -> None:
    """The case was offered: it waits no more, and a predicted breach is cleared."""
    offered = message.data
    case = await repository.case_for_update(uow.session, offered.case_id)
    if case is None:
        return
    case.offered_at = offered.offered_at
    loaded = await uow.deps.config.current(uow.session)
    calendar = loaded.book.calendar_for(case.region)
    for row in await repository.open_clocks(uow.session, case.case_id, PREDICTED):
        before = watch_of(row)
        after = before.clear(at=offered.offered_at)
        if after == before:
            continue
        row.risk_cleared_at = after.cleared_at
        clock = repository.clock_from_row(row)
        await uow.publish(
            SlaRiskCleared(
                **sla_fields(row, clock, case, calendar, offered.offered_at),
                cleared_at=offered.offered_at,
            )
        )
        SLA_AT_RISK.labels(row.metric, "cleared").inc()


def watch_of(row: ClockRow) -> BreachWatch:
    return BreachWatch(predicted_at=row.at_risk_at, cleared_at=row.risk_cleared_at)


def predicted(
    row: ClockRow,
    clock: SlaClock,
    case: CaseRow,
    calendar: BusinessCalendar,
    margin: timedelta,
    at: datetime,
) -> SlaBreachPredicted:
    return SlaBreachPredicted(
        **sla_fields(row, clock, case, calendar, at),
        position=case.queue_position or 0,
        served_per_minute=case.served_per_minute or 0.0,
        expected_offer_at=case.expected_offer_at,
        margin_seconds=margin.total_seconds(),
        predicted_at=at,
    )


def sla_fields(
    row: ClockRow, clock: SlaClock, case: CaseRow, calendar: BusinessCalendar, at: datetime
) -> dict[str, Any]:
    """What every SLA event of the clock carries."""
    return {
        "clock_id": row.clock_id,
        "case_id": row.case_id,
        "metric": SlaMetric(row.metric),
        "policy_id": row.policy,
        "target_seconds": clock.target.total_seconds(),
        "elapsed_seconds": clock.elapsed(at=at, calendar=calendar).total_seconds(),
        "due_at": clock.due_at(BREACH_FRACTION, calendar=calendar) or at,
        "region": case.region,
        "channel": Channel(case.channel),
        "priority": Priority(case.priority),
        "agent_id": case.agent_id,
        "team": case.team,
    }
