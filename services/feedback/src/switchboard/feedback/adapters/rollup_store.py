"""Roll-up rows in the database: deltas inserted as events arrive, folded into the roll-ups
in batches, bucket sums (roll-ups and deltas not folded yet) on read."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Date,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    select,
    text,
    union_all,
)
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from switchboard.feedback.adapters.orm import RollupDeltaRow, RollupRow
from switchboard.feedback.domain.kpis import COUNTER_NAMES, Counters
from switchboard.feedback.domain.rollups import Measurement, Period, Slice, increments
from switchboard.servicekit.db import dialect_of

KEY_COLUMNS = ("period", "region", "facet", "facet_value", "bucket", "hour")


async def add_measurement(
    session: AsyncSession, *, measurement: Measurement, zone: ZoneInfo
) -> None:
    """Add the measurement's counters to each of its buckets, in the caller's transaction:
    as delta rows (inserts only, so writers share no row and never wait for each other's
    commit), which ``fold_deltas`` moves into the roll-ups and reads add meanwhile.

    One statement whose SQL never changes, whatever the buckets and counters (a counter the
    measurement leaves at 0 gains 0): compiled once and prepared, not compiled anew per
    measurement with one bound parameter per value."""
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
        await session.execute(_INSERT_DELTAS, arrays)
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
    await session.execute(insert(RollupDeltaRow), rows)


async def fold_deltas(session: AsyncSession, *, batch: int) -> int:
    """Move up to ``batch`` of the oldest deltas into the roll-ups, summed per bucket, in
    the caller's transaction; how many were moved. Concurrent folders take disjoint rows
    (PostgreSQL: ``SKIP LOCKED``), and a read sees each delta either still here or in its
    roll-up, never both (one statement, one snapshot)."""
    if dialect_of(session) == "postgresql":
        return int((await session.execute(_FOLD, {"batch": batch})).scalar_one())
    taken = list(
        (
            await session.execute(select(RollupDeltaRow).order_by(RollupDeltaRow.id).limit(batch))
        ).scalars()
    )
    if not taken:
        return 0
    summed: dict[tuple[Any, ...], dict[str, Any]] = {}
    for delta in taken:
        key = tuple(getattr(delta, name) for name in KEY_COLUMNS)
        row = summed.setdefault(
            key, dict(zip(KEY_COLUMNS, key, strict=True)) | dict.fromkeys(COUNTER_NAMES, 0)
        )
        for name in COUNTER_NAMES:
            row[name] += getattr(delta, name)
    await session.execute(_sqlite_upsert(), [summed[key] for key in sorted(summed)])
    await session.execute(
        delete(RollupDeltaRow).where(RollupDeltaRow.id.in_([delta.id for delta in taken]))
    )
    return len(taken)


_KEY_TYPES = ("VARCHAR", "VARCHAR", "VARCHAR", "VARCHAR", "DATE", "SMALLINT")
_ALL_COLUMNS = ", ".join(KEY_COLUMNS + COUNTER_NAMES)
_INSERT_DELTAS = text(  # only constant names go into the SQL text
    f"INSERT INTO fb_kpi_rollup_deltas ({_ALL_COLUMNS}) SELECT * FROM unnest("  # noqa: S608
    + ", ".join(
        [f"CAST(:{name} AS {kind}[])" for name, kind in zip(KEY_COLUMNS, _KEY_TYPES, strict=True)]
        + [f"CAST(:{name} AS BIGINT[])" for name in COUNTER_NAMES]
    )
    + ")"
)
"""PostgreSQL: a measurement's buckets as one array per column."""
_FOLD = text(  # only constant names go into the SQL text
    "WITH taken AS (DELETE FROM fb_kpi_rollup_deltas WHERE id IN ("  # noqa: S608
    " SELECT id FROM fb_kpi_rollup_deltas ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)"
    f" RETURNING {_ALL_COLUMNS}),"
    f" folded AS (INSERT INTO fb_kpi_rollups ({_ALL_COLUMNS})"
    f" SELECT {', '.join(KEY_COLUMNS)}, "
    + ", ".join(f"sum({name})" for name in COUNTER_NAMES)
    + f" FROM taken GROUP BY {', '.join(KEY_COLUMNS)} ORDER BY {', '.join(KEY_COLUMNS)}"
    f" ON CONFLICT ({', '.join(KEY_COLUMNS)}) DO UPDATE SET "
    + ", ".join(f"{name} = fb_kpi_rollups.{name} + excluded.{name}" for name in COUNTER_NAMES)
    + ") SELECT count(*) FROM taken"
)
"""PostgreSQL: the oldest deltas taken, summed per bucket and added to the roll-ups, in
key order (so concurrent folders lock shared roll-up rows in the same order)."""


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


def _bucket_rows(table: Any) -> Select[Any]:
    return select(*(table.c[name] for name in KEY_COLUMNS + COUNTER_NAMES))


BUCKETS = union_all(
    _bucket_rows(RollupRow.__table__), _bucket_rows(RollupDeltaRow.__table__)
).subquery("buckets")
"""Every bucket row: the roll-ups and the deltas not folded into them yet (a bucket may
appear more than once; its rows add up)."""


def _slice_filter(period_parameter: str = "period") -> tuple[ColumnElement[bool], ...]:
    return (
        BUCKETS.c.period == bindparam(period_parameter),
        BUCKETS.c.region == bindparam("region"),
        BUCKETS.c.facet == bindparam("facet"),
        BUCKETS.c.facet_value == bindparam("facet_value"),
    )


def _build_slice_statement() -> Select[Any]:
    """One round trip: the backlog before the slice, joined to the slice's bucket rows.

    Over the roll-ups both parts are primary-key range scans (equality on period, region,
    facet and value, a range on the bucket start; PostgreSQL pushes the conditions into each
    branch of the union), over the few deltas not folded yet a scan; the outer join keeps
    one row when no bucket has data yet. Hours take their opening backlog from the days
    before (an hour slice starts at a local midnight), so hour rows need not go back to the
    first case. Built once with bound parameters, so a read only binds values to a cached
    statement.
    """
    change = BUCKETS.c.cases_opened + BUCKETS.c.cases_reopened - BUCKETS.c.resolutions
    first = bindparam("first_bucket", type_=Date)
    last = bindparam("last_bucket", type_=Date)
    opening = (
        select(func.coalesce(func.sum(change), 0).label("open_before"))
        .where(*_slice_filter("opening_period"), BUCKETS.c.bucket < first)
        .subquery("opening")
    )
    in_range = and_(*_slice_filter(), BUCKETS.c.bucket >= first, BUCKETS.c.bucket <= last)
    columns = (opening.c.open_before, BUCKETS.c.bucket, BUCKETS.c.hour)
    counters = (BUCKETS.c[name] for name in COUNTER_NAMES)
    return select(*columns, *counters).select_from(opening.outerjoin(BUCKETS, in_range))


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
