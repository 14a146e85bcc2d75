"""Roll-ups kept in a dict, read the way the roll-up store reads its table: what the property
tests build from raw events to compare the bucket arithmetic with a recount."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date

from switchboard.feedback.domain.kpis import Counters
from switchboard.feedback.domain.rollups import RollupKey, Slice

Store = dict[RollupKey, Counters]


def merge_into(store: Store, additions: Iterable[tuple[RollupKey, Counters]]) -> None:
    for key, counters in additions:
        store[key] = store.get(key, Counters()) + counters


def matches(query: Slice, key: RollupKey) -> bool:
    return (
        key.period is query.period
        and key.region == query.region
        and key.facet is query.facet
        and key.facet_value == query.facet_value
        and query.first_bucket <= key.bucket <= query.last_bucket
    )


def read_series(store: Mapping[RollupKey, Counters], query: Slice) -> dict[date, Counters]:
    """Counters per bucket of the slice (empty buckets as zeros)."""
    series = {start: Counters() for start in query.bucket_starts()}
    for key, counters in store.items():
        if matches(query, key):
            start = query.series_start(key.bucket, key.hour)
            series[start] = series[start] + counters
    return series
