"""Roll-up rows in the database: additive upserts as events arrive, bucket sums on read."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Date, Select, and_, bindparam, func, select, text
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from switchboard.feedback.adapters.orm import ROLLUP_COUNTER_COLUMNS, RollupRow
from switchboard.feedback.domain.kpis import COUNTER_NAMES, Counters
from switchboard.feedback.domain.rollups import Measurement, Period, Slice, increments
from switchboard.servicekit.db import dialect_of

KEY_COLUMNS = ("period", "region", "facet", "facet_value", "bucket", "hour")


async def add_measurement(
    session: AsyncSession, *, measurement: Measurement, zone: ZoneInfo
) -> None:
    """Add the measurement's counters to each of its buckets, in the caller's transaction.

    One statement whose SQL never changes, whatever the buckets and counters (a counter the
    measurement leaves at 0 gains 0): compiled once and prepared, not compiled anew per
    measurement with one bound parameter per value. Buckets are upserted in key order, so
    concurrent measurements lock shared rows in the same order."""
    counters = measurement.counters.as_dict()
    if not any(counters.values()):
        return
    keys = sorted(increments(measurement, zone=zone))
    if not keys:
        return
    if dialect_of(session) == "postgresql":
        arrays: dict[str, list[Any]] = {
            "period": [key.period.value for key in keys],
            "region": [key.region for key in keys],
            "facet": [key.facet.value for key in keys],
            "facet_value": [key.facet_value for key in keys],
            "bucket": [key.bucket for key in keys],
            "hour": [key.hour for key in keys],
        }
        arrays |= {name: [value] * len(keys) for name, value in counters.items()}
        await session.execute(_UPSERT_ARRAYS, arrays)
        return
    rows = [
        {
            "period": key.period.value,
            "region": key.region,
            "facet": key.facet.value,
            "facet_value": key.facet_value,
            "bucket": key.bucket,
            "hour": key.hour,
            **counters,
        }
        for key in keys
    ]
    await session.execute(_sqlite_upsert(), rows)


_KEY_TYPES = ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "DATE", "SMALLINT")
_UPSERT_ARRAYS = text(  # only constant names go into the SQL text
    f"INSERT INTO fb_kpi_rollups ({', '.join(KEY_COLUMNS + COUNTER_NAMES)})"  # noqa: S608
    f" SELECT {', '.join(KEY_COLUMNS + COUNTER_NAMES)} FROM unnest("
    + ", ".join(
        [f"CAST(:{name} AS {kind}[])" for name, kind in zip(KEY_COLUMNS, _KEY_TYPES, strict=True)]
        + [f"CAST(:{name} AS BIGINT[])" for name in COUNTER_NAMES]
    )
    + f") WITH ORDINALITY AS staged ({', '.join(KEY_COLUMNS + COUNTER_NAMES)}, position)"
    " ORDER BY position"
    f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{name} = fb_kpi_rollups.{name} + excluded.{name}" for name in COUNTER_NAMES)
)
"""PostgreSQL: the buckets as one array per column, upserted in the given (key) order."""


@functools.cache
def _sqlite_upsert() -> Any:
    statement = sqlite_insert(RollupRow)
    return statement.on_conflict_do_update(
        index_elements=list(KEY_COLUMNS),
        set_={
            name: getattr(RollupRow, name) + getattr(statement.excluded, name)
            for name in COUNTER_NAMES
        },
    )


def _slice_filter(period_parameter: str = "period") -> tuple[ColumnElement[bool], ...]:
    return (
        RollupRow.period == bindparam(period_parameter),
        RollupRow.region == bindparam("region"),
        RollupRow.facet == bindparam("facet"),
        RollupRow.facet_value == bindparam("facet_value"),
    )


def _build_slice_statement() -> Select[Any]:
    """One round trip: the backlog before the slice, joined to the slice's bucket rows.

    Both parts are primary-key range scans (equality on period, region, facet and value, a
    range on the bucket start); the outer join keeps one row when no bucket has data yet.
    Hours take their opening backlog from the days before (an hour slice starts at a local
    midnight), so hour rows need not go back to the first case.
    Built once with bound parameters, so a read only binds values to a cached statement.
    """
    change = RollupRow.cases_opened + RollupRow.cases_reopened - RollupRow.resolutions
    first = bindparam("first_bucket", type_=Date)
    last = bindparam("last_bucket", type_=Date)
    opening = (
        select(func.coalesce(func.sum(change), 0).label("open_before"))
        .where(*_slice_filter("opening_period"), RollupRow.bucket < first)
        .subquery("opening")
    )
    in_range = and_(*_slice_filter(), RollupRow.bucket >= first, RollupRow.bucket <= last)
    columns = (opening.c.open_before, RollupRow.bucket, RollupRow.hour)
    return select(*columns, *ROLLUP_COUNTER_COLUMNS).select_from(
        opening.outerjoin(RollupRow, in_range)
    )


SLICE_STATEMENT = _build_slice_statement()


def slice_parameters(query: Slice) -> dict[str, Any]:
    return {
        "period": query.period.value,
        "opening_period": (Period.DAY if query.period is Period.HOUR else query.period).value,
        "region": query.region,
        "facet": query.facet.value,
        "facet_value": query.facet_value,
        "first_bucket": query.first_bucket,
        "last_bucket": query.last_bucket,
    }


async def read_slice(
    connection: AsyncConnection | AsyncSession, *, query: Slice
) -> tuple[dict[date, Counters], int]:
    """Counters of every bucket in the slice (untouched buckets as zeros) and the backlog
    open when the slice starts."""
    series = {start: Counters() for start in query.bucket_starts()}
    open_before = 0
    result = await connection.execute(SLICE_STATEMENT, slice_parameters(query))
    for row in result.all():
        open_before = int(row.open_before)
        if row.bucket is None:
            continue
        start = query.series_start(row.bucket, row.hour)
        if start in series:
            counters = Counters(**{name: getattr(row, name) for name in COUNTER_NAMES})
            series[start] = series[start] + counters
    return series, open_before
