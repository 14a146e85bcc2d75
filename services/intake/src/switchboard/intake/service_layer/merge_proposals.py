"""Proposals to merge two customers: made when one contact's identities lead to two
customer records (probably one person), listed for coordinators and admins, merged
(``customer_merges``) or dismissed."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CustomerRow, MergeProposalRow
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer, check_access
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.db import dialect_of

OPEN, MERGED, DISMISSED = "open", "merged", "dismissed"


async def propose(
    session: AsyncSession, *, customer_ids: Iterable[str], contact_id: str, at: datetime
) -> None:
    """One open proposal for each pair of customers one contact led to (a pair proposed,
    merged or dismissed before is left as it is)."""
    ordered = sorted(set(customer_ids))
    pairs = [
        {
            "first_id": first,
            "second_id": second,
            "contact_id": contact_id,
            "proposed_at": at,
            "status": OPEN,
        }
        for index, first in enumerate(ordered)
        for second in ordered[index + 1 :]
    ]
    if pairs:
        await session.execute(_insert_new_pairs(dialect_of(session)), pairs)


@functools.cache
def _insert_new_pairs(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return insert(MergeProposalRow).on_conflict_do_nothing(
        index_elements=[MergeProposalRow.first_id, MergeProposalRow.second_id]
    )


SCANNED = 1_000
"""Open proposals read per listing, newest first, before the caller's may be picked out."""


async def open_proposals(
    session: AsyncSession, principal: Principal, *, limit: int = 100
) -> list[MergeProposalRow]:
    """Open proposals the caller may act on (a coordinator: both customers readable)."""
    if principal.role is Role.AGENT:
        raise NotAllowed("merge proposals")
    rows = await session.scalars(
        select(MergeProposalRow)
        .where(MergeProposalRow.status == OPEN)
        .order_by(MergeProposalRow.proposed_at.desc())
        .limit(SCANNED)
    )
    visible = [row for row in rows if await _may_act(session, principal, row)]
    return visible[:limit]


async def dismiss(
    session: AsyncSession, principal: Principal, first_id: str, second_id: str
) -> MergeProposalRow:
    first, second = sorted((first_id, second_id))
    row = await session.get(MergeProposalRow, (first, second), with_for_update=True)
    if row is None or principal.role is Role.AGENT:
        raise UnknownCustomer(f"{first}+{second}")
    if not await _may_act(session, principal, row):
        raise NotAllowed(f"{first}+{second}")
    if row.status == OPEN:
        row.status = DISMISSED
    return row


async def _may_act(session: AsyncSession, principal: Principal, row: MergeProposalRow) -> bool:
    """Whether the caller may read both customers of the proposal."""
    for customer_id in (row.first_id, row.second_id):
        customer = await session.get(CustomerRow, customer_id)
        if customer is None:
            return False
        try:
            await check_access(session, principal, customer)
        except NotAllowed:
            return False
    return True
