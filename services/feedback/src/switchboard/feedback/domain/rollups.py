"""Which roll-up buckets a measurement increments, and how a read picks them.

A bucket is keyed by period (day, ISO week, month) and its start date in the region's
local time, the region (or every region), and one facet: all, channel, agent or team.
A measurement adds the same counters to each of its buckets, so a read for one region,
one facet and a range of periods sums a handful of rows, whatever the number of answers.
The all-regions buckets add each measurement on its own region's calendar day, so they are
exactly the sum of the regions' buckets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from switchboard.feedback.domain.kpis import Counters

ALL_REGIONS = "*"
UTC = ZoneInfo("UTC")


class Period(StrEnum):
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
    if period is Period.DAY:
        return day
    if period is Period.WEEK:
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def next_period_start(start: date, period: Period) -> date:
    if period is Period.DAY:
        return start + timedelta(days=1)
    if period is Period.WEEK:
        return start + timedelta(days=7)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def local_day(at: datetime, zone: ZoneInfo) -> date:
    if at.tzinfo is None:
        raise ValueError("roll-ups need aware datetimes")
    return at.astimezone(zone).date()


def facets_of(measurement: Measurement) -> list[tuple[Facet, str]]:
    facets = [(Facet.ALL, ""), (Facet.CHANNEL, measurement.channel)]
    if measurement.agent_id:
        facets.append((Facet.AGENT, measurement.agent_id))
    if measurement.team:
        facets.append((Facet.TEAM, measurement.team))
    return facets


def rollup_keys(measurement: Measurement, *, zone: ZoneInfo) -> list[RollupKey]:
    """Every bucket the measurement adds to: periods x (its region, all) x its facets."""
    day = local_day(measurement.at, zone)
    return [
        RollupKey(period, period_start(day, period), region, facet, value)
        for period in Period
        for region in (measurement.region, ALL_REGIONS)
        for facet, value in facets_of(measurement)
    ]


def increments(measurement: Measurement, *, zone: ZoneInfo) -> dict[RollupKey, Counters]:
    return {key: measurement.counters for key in rollup_keys(measurement, zone=zone)}


def zone_for(region: str, zones: Mapping[str, str]) -> ZoneInfo:
    """The region's configured time zone; UTC for unknown regions and for all regions."""
    name = zones.get(region)
    return ZoneInfo(name) if name else UTC


@dataclass(frozen=True)
class Slice:
    """What a KPI read asks for: a region (or all), one facet, periods in a date range."""

    region: str
    facet: Facet
    facet_value: str
    period: Period
    first: date
    last: date

    @property
    def first_bucket(self) -> date:
        return period_start(self.first, self.period)

    @property
    def last_bucket(self) -> date:
        return period_start(self.last, self.period)

    def matches(self, key: RollupKey) -> bool:
        return (
            key.period is self.period
            and key.region == self.region
            and key.facet is self.facet
            and key.facet_value == self.facet_value
            and self.first_bucket <= key.bucket <= self.last_bucket
        )

    def bucket_starts(self) -> list[date]:
        starts, start = [], self.first_bucket
        while start <= self.last_bucket:
            starts.append(start)
            start = next_period_start(start, self.period)
        return starts


def read_series(store: Mapping[RollupKey, Counters], query: Slice) -> dict[date, Counters]:
    """Counters per bucket of the slice (empty buckets as zeros), from an in-memory store."""
    series = {start: Counters() for start in query.bucket_starts()}
    for key, counters in store.items():
        if query.matches(key):
            series[key.bucket] = series[key.bucket] + counters
    return series


def merge_into(
    store: dict[RollupKey, Counters], additions: Iterable[tuple[RollupKey, Counters]]
) -> None:
    for key, counters in additions:
        store[key] = store.get(key, Counters()) + counters
