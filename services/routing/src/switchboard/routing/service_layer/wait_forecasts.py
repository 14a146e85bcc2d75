"""Wait forecasts: a durable timer that, every check, reckons when each waiting case can
expect its offer at its pool's present pace (its queue position, the pool and channel's
accepted offers per minute over the recent window) and publishes CaseWaitEstimated for a
case that starts waiting, or whose expectation moved beyond the tolerance.

Escalation sets the forecast against the case's SLA deadline; routing knows no SLA.
"""

from __future__ import annotations

from datetime import datetime

from switchboard.contracts.events import CaseWaitEstimated
from switchboard.contracts.events.common import Channel
from switchboard.routing.adapters import forecast_reading
from switchboard.routing.adapters.orm import WaitForecastRow
from switchboard.routing.domain.wait_forecast import (
    Forecast,
    WaitingCase,
    forecast,
    per_minute,
    queue_positions,
    worth_saying,
)
from switchboard.routing.service_layer.timer_kinds import WAIT_FORECAST_TIMER
from switchboard.routing.service_layer.unit_of_work import RoutingDeps, RoutingUnitOfWork
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.timers import Timer
from switchboard.servicekit.unit_of_work import UnitsOfWork

WAIT_FORECAST_TIMER_KEY = "queues"


async def check_waits(timer: Timer, uow: RoutingUnitOfWork) -> None:
    """The timer: forecast every waiting case, then look again after a while."""
    now = utcnow()
    await forecast_waits(uow=uow, now=now)
    await uow.schedule(
        WAIT_FORECAST_TIMER, WAIT_FORECAST_TIMER_KEY, now + uow.deps.forecasts.check_every
    )


async def forecast_waits(*, uow: RoutingUnitOfWork, now: datetime) -> list[CaseWaitEstimated]:
    """Every waiting case's forecast now; those worth saying are published (and
    returned), and what was said of cases that wait no more is forgotten."""
    plan, session = uow.deps.forecasts, uow.session
    waiting = await forecast_reading.waiting_cases(session)
    accepted = await forecast_reading.accepted_since(session, now - plan.window)
    said = await forecast_reading.forecasts_said(session)
    positions = queue_positions(case for case, _ in waiting)
    published: list[CaseWaitEstimated] = []
    for case, region in waiting:
        count, first_at = accepted.get((case.pool, case.channel), (0, None))
        pace = per_minute(count, first_at, now=now, window=plan.window, least=plan.least_span)
        new = forecast(positions[case.case_id], pace, now=now)
        row = said.get(case.case_id)
        last = row.expected_offer_at if row else None
        if not worth_saying(last, row is not None, new, now=now, tolerance=plan.tolerance):
            continue
        published.append(wait_event(case, region, new, now=now))
        if row is None:
            row = WaitForecastRow(case_id=case.case_id)
            session.add(row)
        row.expected_offer_at, row.said_at = new.expected_offer_at, now
    await forecast_reading.forget_forecasts(
        session, set(said) - {case.case_id for case, _ in waiting}
    )
    if published:
        await uow.publish(*published)
    return published


def wait_event(
    case: WaitingCase, region: str, new: Forecast, *, now: datetime
) -> CaseWaitEstimated:
    return CaseWaitEstimated(
        case_id=case.case_id,
        region=region,
        channel=Channel(case.channel),
        queue_id=case.pool,
        position=new.position,
        served_per_minute=new.served_per_minute,
        expected_offer_at=new.expected_offer_at,
        estimated_at=now,
    )


async def start_wait_forecasts(deps: RoutingDeps) -> None:
    """A start step: the forecasts' timer is due one check from now (one timer for all
    replicas: the latest start only moves it)."""
    async with UnitsOfWork(deps.sessions, deps).begin() as uow:
        await uow.schedule(
            WAIT_FORECAST_TIMER, WAIT_FORECAST_TIMER_KEY, utcnow() + deps.forecasts.check_every
        )
