"""Customers' data keys: made on first use (concurrent first uses agree on one), read,
destroyed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CustomerKeyRow
from switchboard.servicekit.db import dialect_of
from switchboard.servicekit.sealing import new_data_key


async def key_of(session: AsyncSession, customer_id: str) -> bytes | None:
    key: bytes | None = await session.scalar(
        select(CustomerKeyRow.key).where(CustomerKeyRow.customer_id == customer_id)
    )
    return key


async def keys_for(session: AsyncSession, customer_ids: Sequence[str]) -> dict[str, bytes]:
    """Each customer's key, made now for those who have none."""
    wanted = sorted(set(customer_ids))
    if not wanted:
        return {}
    found = await _keys(session, wanted)
    missing = [customer_id for customer_id in wanted if customer_id not in found]
    if missing:
        now = datetime.now(UTC)
        rows = [{"customer_id": c, "key": new_data_key(), "created_at": now} for c in missing]
        if dialect_of(session) == "postgresql":
            await session.execute(pg_insert(CustomerKeyRow).on_conflict_do_nothing(), rows)
        else:
            await session.execute(sqlite_insert(CustomerKeyRow).on_conflict_do_nothing(), rows)
        found |= await _keys(session, missing)
    return found


async def _keys(session: AsyncSession, customer_ids: list[str]) -> dict[str, bytes]:
    rows = await session.execute(
        select(CustomerKeyRow.customer_id, CustomerKeyRow.key).where(
            CustomerKeyRow.customer_id.in_(customer_ids)
        )
    )
    return {customer_id: key for customer_id, key in rows}


async def destroy_keys(session: AsyncSession, customer_ids: Sequence[str]) -> int:
    result = await session.execute(
        delete(CustomerKeyRow).where(CustomerKeyRow.customer_id.in_(list(customer_ids)))
    )
    return result.rowcount or 0  # type: ignore[attr-defined]
