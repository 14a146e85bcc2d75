"""The staffing advisor: a durable timer that, every check, sets each pool's traffic of the
last interval against its agents available, and announces a pool falling short of its
service-level target (StaffingShortfall) or recovering (StaffingRecovered).

The timer fires on one replica at a time, and the pools' last announcements are locked
while it runs, so replicas never announce a pool twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events import StaffingRecovered, StaffingShortfall
from switchboard.contracts.events.staffing import StaffingEvent
from switchboard.routing.adapters import staffing_reading
from switchboard.routing.adapters.orm import StaffingAnnouncementRow
from switchboard.routing.domain.pool_staffing import (
    PoolStaffing,
    PoolTraffic,
    Standing,
    assess,
    interval_of,
    to_announce,
)
from switchboard.routing.service_layer.staffing_forecasts import PoolOutlook, past_arrivals
from switchboard.routing.service_layer.timer_kinds import STAFFING_TIMER
from switchboard.routing.service_layer.unit_of_work import (
    RoutingDeps,
    RoutingUnitOfWork,
    StaffingPlan,
)
from switchboard.servicekit.db import utcnow
from switchboard.servicekit.timers import Timer
from switchboard.servicekit.unit_of_work import UnitsOfWork

STAFFING_TIMER_KEY = "pools"


async def check_staffing(timer: Timer, uow: RoutingUnitOfWork) -> None:
    """The timer: assess and announce every pool, then look again after a while."""
    now = utcnow()
    await assess_pools(uow=uow, now=now)
    await uow.schedule(STAFFING_TIMER, STAFFING_TIMER_KEY, now + uow.deps.staffing.check_every)


async def assess_pools(*, uow: RoutingUnitOfWork, now: datetime) -> list[PoolStaffing]:
    """Every pool with arrivals in the last interval, or announced short: its staffing
    now, announced when it fell short or recovered (once per interval at most)."""
    plan, session = uow.deps.staffing, uow.session
    last = await staffing_reading.announcements(session)
    traffic = await pool_traffic(session, plan=plan, now=now, also=set(last))
    interval = interval_of(now, plan.interval)
    assessed: list[PoolStaffing] = []
    for each in traffic:
        staffing = assess(each, plan.target_of(each.pool))
        assessed.append(staffing)
        previous = last.get(each.pool)
        standing = to_announce(
            staffing_reading.announced(previous), short=staffing.short, interval=interval
        )
        if standing is None:
            continue
        await uow.publish(staffing_event(staffing, standing, now=now))
        if previous is None:
            previous = StaffingAnnouncementRow(pool=each.pool)
            session.add(previous)
        previous.standing, previous.interval_number, previous.announced_at = standing, interval, now
    return assessed


async def staffing_now(
    *, session: AsyncSession, plan: StaffingPlan, now: datetime, regions: frozenset[str] | None
) -> list[PoolOutlook]:
    """Each pool's staffing now and forecast for the next intervals (of ``regions``; None:
    all), announcing nothing: the pools with arrivals in the last interval, announced
    before, or with arrivals in the same intervals of day on recent days."""
    announced = await staffing_reading.announced_pools(session)
    past = await past_arrivals(session, plan=plan, now=now)
    traffic = await pool_traffic(session, plan=plan, now=now, also=announced | past.busy_pools())
    return [
        PoolOutlook(
            now=assess(each, plan.target_of(each.pool)),
            next=past.forecast(each, plan.target_of(each.pool)),
        )
        for each in traffic
        if regions is None or region_of(each.pool) in regions
    ]


def region_of(pool: str) -> str:
    return pool.partition("/")[0]


async def pool_traffic(
    session: AsyncSession, *, plan: StaffingPlan, now: datetime, also: set[str]
) -> list[PoolTraffic]:
    """The traffic of each pool that had arrivals in the last interval, and of ``also``,
    by pool name; a pool whose handle time is unknown is left out."""
    arrivals = await staffing_reading.arrivals_since(session, now - plan.interval)
    handling = await staffing_reading.handling_since(session, now - plan.handle_lookback)
    available = await staffing_reading.agents_available(session)
    traffic: list[PoolTraffic] = []
    for pool in sorted(set(arrivals) | also):
        handled = handling.get(pool)
        handle_seconds = handled.average_seconds if handled else plan.default_handle_seconds
        if not handle_seconds:  # nothing resolved yet: no handle time to reckon with
            continue
        traffic.append(
            PoolTraffic(
                pool=pool,
                arrivals=arrivals.get(pool, 0),
                window=plan.interval,
                handle_seconds=handle_seconds,
                agents_available=available[pool],
            )
        )
    return traffic


def staffing_event(staffing: PoolStaffing, standing: Standing, *, now: datetime) -> StaffingEvent:
    traffic, target = staffing.traffic, staffing.target
    region, _, department = traffic.pool.partition("/")
    kind = StaffingShortfall if standing is Standing.SHORT else StaffingRecovered
    return kind(
        pool=traffic.pool,
        region=region,
        department=department or None,
        interval_start=now - traffic.window,
        interval_seconds=traffic.window.total_seconds(),
        arrivals=traffic.arrivals,
        average_handle_seconds=traffic.handle_seconds,
        load_erlangs=staffing.load,
        target_share=target.share,
        target_answer_seconds=target.answer_seconds,
        agents_required=staffing.agents_required,
        agents_available=traffic.agents_available,
        expected_service_level=staffing.expected_service_level,
        assessed_at=now,
    )


async def start_staffing_checks(deps: RoutingDeps) -> None:
    """A start step: the advisor's timer is due one check from now (every replica sets
    it; it is one timer, so the latest start only moves it)."""
    async with UnitsOfWork(deps.sessions, deps).begin() as uow:
        await uow.schedule(STAFFING_TIMER, STAFFING_TIMER_KEY, utcnow() + deps.staffing.check_every)
