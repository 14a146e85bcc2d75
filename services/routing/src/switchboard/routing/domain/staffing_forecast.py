"""A pool's staffing over the next intervals, forecast from the same interval of day on
recent days: the expected arrivals are the mean of the cases opened in that interval on
each past day routing has data for, and Erlang C turns them into the agents required.

Days are 24 hours in UTC (a daylight-saving change shifts local hours by one). A past day
counts when routing had opened its first case before that day's interval ended (earlier,
routing was not counting) and the interval is over; with no such day there is no forecast,
never a guessed number.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from switchboard.routing.domain.pool_staffing import ServiceTarget, interval_of
from switchboard.routing.domain.staffing import agents_required, service_level

DAY = timedelta(days=1)


def next_intervals(now: datetime, *, length: timedelta, count: int) -> list[datetime]:
    """The starts of the ``count`` intervals after the one ``now`` falls in."""
    current = interval_of(now, length)
    seconds = length.total_seconds()
    return [datetime.fromtimestamp((current + n) * seconds, UTC) for n in range(1, count + 1)]


def same_interval_before(start: datetime, *, days: int) -> list[datetime]:
    """The starts of the same interval on each of the ``days`` days before, latest first."""
    return [start - day * DAY for day in range(1, days + 1)]


def days_with_data(
    start: datetime, *, length: timedelta, days: int, first_opened: datetime | None, now: datetime
) -> list[datetime]:
    """The past starts of the interval at ``start`` that count: over by ``now``, and ending
    after routing opened its first case."""
    if first_opened is None:
        return []
    return [
        past
        for past in same_interval_before(start, days=days)
        if first_opened < past + length <= now
    ]


@dataclass(frozen=True, slots=True)
class IntervalForecast:
    interval_start: datetime
    expected_arrivals: float
    days_averaged: int
    load: float
    """Erlangs: the expected arrivals per second times the average handle time."""
    agents_required: int
    agents_available: int
    """Now: the agents who would serve the interval if nobody came or went."""
    expected_service_level: float
    """With the agents available now."""

    @property
    def short(self) -> bool:
        return self.agents_available < self.agents_required


def expected_arrivals(counted: list[datetime], arrivals: Mapping[datetime, int]) -> float:
    """The mean arrivals over the past intervals ``counted`` (one absent from ``arrivals``
    had none)."""
    return sum(arrivals.get(past, 0) for past in counted) / len(counted)


def forecast_interval(
    start: datetime,
    *,
    counted: list[datetime],
    arrivals: Mapping[datetime, int],
    length: timedelta,
    handle_seconds: float,
    agents_available: int,
    target: ServiceTarget,
) -> IntervalForecast | None:
    """The staffing of the interval at ``start`` from the pool's ``arrivals`` by past
    interval start; None when no past day is ``counted``."""
    if not counted:
        return None
    expected = expected_arrivals(counted, arrivals)
    load = expected * handle_seconds / length.total_seconds()
    times = {"handle_seconds": handle_seconds, "within_seconds": target.answer_seconds}
    return IntervalForecast(
        interval_start=start,
        expected_arrivals=expected,
        days_averaged=len(counted),
        load=load,
        agents_required=agents_required(
            load, target=target.share, max_occupancy=target.max_occupancy, **times
        ),
        agents_available=agents_available,
        expected_service_level=service_level(agents_available, load, **times),
    )
