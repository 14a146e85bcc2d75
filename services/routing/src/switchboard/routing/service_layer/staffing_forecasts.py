"""The staffing advisor's look ahead: each pool's arrivals in the same interval of day on
recent days, read once per past day (one range over the opened_at index), and the
forecast of its next intervals from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.routing.adapters import staffing_reading
from switchboard.routing.domain.pool_staffing import PoolStaffing, PoolTraffic, ServiceTarget
from switchboard.routing.domain.staffing_forecast import (
    DAY,
    IntervalForecast,
    days_with_data,
    forecast_interval,
    next_intervals,
)
from switchboard.routing.service_layer.unit_of_work import StaffingPlan


@dataclass(frozen=True, slots=True)
class PoolOutlook:
    """A pool's staffing now and forecast for the next intervals."""

    now: PoolStaffing
    next: list[IntervalForecast]


@dataclass(frozen=True, slots=True)
class PastArrivals:
    plan: StaffingPlan
    counted: dict[datetime, list[datetime]]
    """Per next interval start, the past starts of the same interval that count."""
    by_pool: dict[str, dict[datetime, int]]
    """Per pool, the cases opened in each past interval read (absent: none)."""

    def busy_pools(self) -> set[str]:
        """The pools with arrivals in a past interval that counts: ones to forecast."""
        counted = {past for starts in self.counted.values() for past in starts}
        return {
            pool
            for pool, counts in self.by_pool.items()
            if any(counts[past] for past in counted & counts.keys())
        }

    def forecast(self, traffic: PoolTraffic, target: ServiceTarget) -> list[IntervalForecast]:
        """The pool's next intervals with its handle time and agents available now; empty
        when no past day has data."""
        arrivals = self.by_pool.get(traffic.pool, {})
        forecasts = (
            forecast_interval(
                start,
                counted=counted,
                arrivals=arrivals,
                length=self.plan.interval,
                handle_seconds=traffic.handle_seconds,
                agents_available=traffic.agents_available,
                target=target,
            )
            for start, counted in self.counted.items()
        )
        return [each for each in forecasts if each is not None]


async def past_arrivals(
    session: AsyncSession, *, plan: StaffingPlan, now: datetime
) -> PastArrivals:
    """The arrivals of the same intervals of day as the next ones, on the past days that
    count."""
    starts = next_intervals(now, length=plan.interval, count=plan.forecast_intervals)
    first = await staffing_reading.first_opened(session) if starts else None
    counted = {
        start: days_with_data(
            start, length=plan.interval, days=plan.forecast_days, first_opened=first, now=now
        )
        for start in starts
    }
    wanted = {past for pasts in counted.values() for past in pasts}
    by_pool: dict[str, dict[datetime, int]] = {}
    for day in range(1, plan.forecast_days + 1):
        that_day = [start - day * DAY for start in starts]
        if wanted.isdisjoint(that_day):
            continue
        read = await staffing_reading.arrivals_in(session, that_day, plan.interval)
        for pool, counts in read.items():
            by_pool.setdefault(pool, {}).update(counts)
    return PastArrivals(plan=plan, counted=counted, by_pool=by_pool)
