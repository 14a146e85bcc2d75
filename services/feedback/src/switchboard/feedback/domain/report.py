"""A KPI report: one slice's KPIs per bucket and in total, with the running backlog."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from switchboard.feedback.domain.kpis import Counters, Kpis, compute_kpis, sum_counters
from switchboard.feedback.domain.rollups import ALL_REGIONS, UTC, Facet, Period, Slice, keeps

BACKLOG_FACETS = frozenset({Facet.ALL, Facet.CHANNEL})
"""Cases are counted on arrival by region and channel only; an agent has no arrivals."""


@dataclass(frozen=True)
class KpiReport:
    query: Slice
    total: Kpis
    series: tuple[tuple[date, Kpis], ...]


def has_backlog(query: Slice) -> bool:
    return query.facet in BACKLOG_FACETS


def build_report(query: Slice, series: Mapping[date, Counters], *, open_before: int) -> KpiReport:
    """KPIs per bucket in date order; backlog is the open count at the end of each bucket."""
    with_backlog = has_backlog(query)
    rows: list[tuple[date, Kpis]] = []
    open_at_start = open_before
    for start in sorted(series):
        counters = series[start]
        kpis = compute_kpis(counters, open_before=open_at_start if with_backlog else None)
        rows.append((start, kpis))
        open_at_start += counters.backlog_change
    total = compute_kpis(
        sum_counters(list(series.values())), open_before=open_before if with_backlog else None
    )
    return KpiReport(query=query, total=total, series=tuple(rows))


EARLIEST = date(1970, 1, 1)
LATEST = date(2199, 12, 31)
DAYS_IN_LONGEST = {Period.HOUR: 1, Period.DAY: 1, Period.WEEK: 7, Period.MONTH: 31}
MAX_DAYS_OF_HOURS = 7


class InvalidSlice(ValueError):
    """The KPI query cannot be answered as asked; the message says how to fix it."""


def make_slice(
    *,
    region: str | None,
    agent_id: str | None,
    team: str | None,
    channel: str | None,
    period: Period,
    first: date,
    last: date,
    max_buckets: int,
    zone: ZoneInfo = UTC,
) -> Slice:
    """A region (or all) with at most one of agent, team or channel, over ``first..last``;
    ``zone`` is the region's, for hour buckets."""
    facets = [
        (facet, value)
        for facet, value in ((Facet.AGENT, agent_id), (Facet.TEAM, team), (Facet.CHANNEL, channel))
        if value
    ]
    if len(facets) > 1:
        raise InvalidSlice("combine the region with at most one of agent, team and channel")
    if first > last:
        raise InvalidSlice("from must not be after to")
    if first < EARLIEST or last > LATEST:
        raise InvalidSlice(f"dates must lie between {EARLIEST} and {LATEST}")
    facet, value = facets[0] if facets else (Facet.ALL, "")
    if not keeps(period, facet):
        raise InvalidSlice("hourly KPIs are kept per region only: leave out agent, team, channel")
    if period is Period.HOUR and (last - first).days >= MAX_DAYS_OF_HOURS:
        raise InvalidSlice(f"hours cover at most {MAX_DAYS_OF_HOURS} days (from..to) per request")
    if (last - first).days > max_buckets * DAYS_IN_LONGEST[period]:
        raise InvalidSlice(f"at most {max_buckets} {period.value}s per request")
    query = Slice(region or ALL_REGIONS, facet, value, period, first, last, zone)
    if len(query.bucket_starts()) > max_buckets:
        raise InvalidSlice(f"at most {max_buckets} {period.value}s per request")
    return query
