"""Which roll-up buckets a measurement increments, and how a read picks them.

A bucket is keyed by period (day, ISO week, month) and its start date in the region's
local time, the region (or every region), and one facet: all, channel, agent or team.
Hour buckets (whole region only) are keyed by the local day and the whole hours elapsed
since its local midnight, so a day of a clock change has 23 or 25 distinct hours.
A measurement adds the same counters to each of its buckets, so a read for one region,
one facet and a range of periods sums a handful of rows, whatever the number of answers.
The all-regions buckets add each measurement on its own region's calendar day, so they are
exactly the sum of the regions' buckets.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from switchboard.feedback.domain.kpis import Counters

ALL_REGIONS = "*"
UTC = ZoneInfo("UTC")


class Period(StrEnum):
    HOUR = "hour"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"


class Facet(StrEnum):
    ALL = "all"
    CHANNEL = "channel"
    AGENT = "agent"
    TEAM = "team"


@dataclass(frozen=True, order=True)
class RollupKey:
    period: Period
    bucket: date
    region: str
    facet: Facet
    facet_value: str
    hour: int = 0
    """Hour buckets only: whole hours since the local midnight of ``bucket`` (0 to 24)."""


HOURLY_FACETS = frozenset({Facet.ALL})
"""Hour buckets are kept for whole regions only: one more row per measurement and region."""


def keeps(period: Period, facet: Facet) -> bool:
    return period is not Period.HOUR or facet in HOURLY_FACETS


@dataclass(frozen=True)
class Measurement:
    """Something that happened at ``at``, attributed to where and to whom."""

    at: datetime
    region: str
    channel: str
    counters: Counters
    agent_id: str | None = None
    team: str | None = None


def period_start(day: date, period: Period) -> date:
    """The first day of the period holding ``day`` (an hour's is its own day)."""
    if period in (Period.HOUR, Period.DAY):
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(start: date, period: Period) -> date:
    if period in (Period.HOUR, Period.DAY):
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    if at.tzinfo is None:
        raise ValueError("roll-ups need aware datetimes")
    return at.astimezone(zone).date()


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant the local day starts (where midnight is skipped, the end of the gap)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def hours_in_day(day: date, zone: ZoneInfo) -> int:
    length = local_midnight(day + timedelta(days=1), zone) - local_midnight(day, zone)
    return math.ceil(length / timedelta(hours=1))


def local_hour(at: datetime, zone: ZoneInfo) -> tuple[date, int]:
    """The local day of ``at`` and the whole hours elapsed since its local midnight."""
    day = local_day(at, zone)
    return day, (at - local_midnight(day, zone)) // timedelta(hours=1)


def hour_start(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """The start of the day's ``hour``-th hour, in local time with its UTC offset."""
    return (local_midnight(day, zone) + timedelta(hours=hour)).astimezone(zone)


def facets_of(measurement: Measurement) -> list[tuple[Facet, str]]:
    facets = [(Facet.ALL, ""), (Facet.CHANNEL, measurement.channel)]
    if measurement.agent_id:
        facets.append((Facet.AGENT, measurement.agent_id))
    if measurement.team:
        facets.append((Facet.TEAM, measurement.team))
    return facets


def rollup_keys(measurement: Measurement, *, zone: ZoneInfo) -> list[RollupKey]:
    """Every bucket the measurement adds to: periods x (its region, all) x its facets."""
    day, hour = local_hour(measurement.at, zone)
    return [
        RollupKey(
            period,
            period_start(day, period),
            region,
            facet,
            value,
            hour if period is Period.HOUR else 0,
        )
        for period in Period
        for region in (measurement.region, ALL_REGIONS)
        for facet, value in facets_of(measurement)
        if keeps(period, facet)
    ]


def increments(measurement: Measurement, *, zone: ZoneInfo) -> dict[RollupKey, Counters]:
    return {key: measurement.counters for key in rollup_keys(measurement, zone=zone)}


def zone_for(region: str, zones: Mapping[str, str]) -> ZoneInfo:
    """The region's configured time zone; UTC for unknown regions and for all regions."""
    name = zones.get(region)
    return ZoneInfo(name) if name else UTC


@dataclass(frozen=True)
class Slice:
    """What a KPI read asks for: a region (or all), one facet, periods in a date range.
    ``zone`` (the region's) places hour buckets; the other periods are calendar dates."""

    region: str
    facet: Facet
    facet_value: str
    period: Period
    first: date
    last: date
    zone: ZoneInfo = UTC

    @property
    def first_bucket(self) -> date:
        return period_start(self.first, self.period)

    @property
    def last_bucket(self) -> date:
        return period_start(self.last, self.period)

    def bucket_starts(self) -> list[date]:
        """Dates; for hours, aware local datetimes (a ``datetime`` is a ``date``)."""
        starts: list[date] = []
        start = self.first_bucket
        while start <= self.last_bucket:
            if self.period is Period.HOUR:
                hours = range(hours_in_day(start, self.zone))
                starts.extend(hour_start(start, hour, self.zone) for hour in hours)
            else:
                starts.append(start)
            start = next_period_start(start, self.period)
        return starts

    def series_start(self, bucket: date, hour: int) -> date:
        """Where a stored bucket lands in the series. In the all-regions series (UTC days
        of 24 hours) a region's 25th hour of a clock change counts in its day's last hour."""
        if self.period is not Period.HOUR:
            return bucket
        return hour_start(bucket, min(hour, hours_in_day(bucket, self.zone) - 1), self.zone)
