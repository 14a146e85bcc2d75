"""Inserting the rows that accepting contacts creates (customers, identities, cases,
contacts) with Core instead of the ORM's unit of work, which rows that are never changed
again in their transaction do not need.

On PostgreSQL all tables go in one statement, whatever the batch: one data-modifying CTE
per table, each inserting ``unnest`` of one array per column, so the SQL text never changes
(it stays prepared) and a batch costs one round trip instead of one per table. Parents are
visible to the foreign-key checks of their children, which run at the end of the statement.
Elsewhere (the embedded SQLite) one executemany per table, parents first.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Insert, Table, bindparam, func, insert, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import Base, CaseRow, ContactRow, CustomerRow, IdentityRow
from switchboard.servicekit.db import dialect_of

TABLES: tuple[Table, ...] = tuple(
    model.__table__  # type: ignore[misc]
    for model in (CustomerRow, IdentityRow, CaseRow, ContactRow)
)
"""Parents before children."""


async def insert_rows(session: AsyncSession, rows: Sequence[Base]) -> None:
    if not rows:
        return
    by_table: dict[Table, list[dict[str, Any]]] = {table: [] for table in TABLES}
    for row in rows:
        by_table[row.__table__].append(  # type: ignore[index]
            {column.key: getattr(row, column.key) for column in row.__table__.columns}
        )
    if dialect_of(session) == "postgresql":
        await session.execute(_insert_all_tables(), _column_arrays(by_table))
        return
    for table, table_rows in by_table.items():
        if table_rows:
            await session.execute(insert(table), table_rows)


def _column_arrays(by_table: dict[Table, list[dict[str, Any]]]) -> dict[str, list[Any]]:
    return {
        _parameter(table, column.key): [row[column.key] for row in by_table[table]]
        for table in TABLES
        for column in table.columns
    }


def _parameter(table: Table, column: str) -> str:
    return f"{table.name}__{column}"


@functools.cache
def _insert_all_tables() -> Insert:
    *parents, last = TABLES
    statement = _insert_unnested(last)
    for table in parents:
        statement = statement.add_cte(_insert_unnested(table).cte(f"new_{table.name}"))
    return statement


def _insert_unnested(table: Table) -> Insert:
    names = [column.key for column in table.columns]
    arrays = [
        bindparam(_parameter(table, column.key), type_=ARRAY(column.type))
        for column in table.columns
    ]
    unnested = func.unnest(*arrays).table_valued(*names).render_derived()
    return insert(table).from_select(names, select(*[unnested.c[name] for name in names]))
