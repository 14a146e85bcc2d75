"""Merging two customer records that are one person: the merged one's identities, cases,
contacts, notes and consent history move to the survivor (VIP, tier, home region and name
filled from the merged one where the survivor has none; each consent's latest change wins,
so a withdrawal later than the other record's grant withdraws the survivor's), the merged
id keeps pointing to the survivor, and ``CustomerMerged`` tells the other services.
Proposed automatically when one contact's identities lead to two customers
(``merge_proposals``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.events import CustomerMerged
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.intake.adapters.orm import (
    CaseRow,
    ContactRow,
    CustomerConsentRow,
    CustomerMergeRow,
    CustomerNoteRow,
    CustomerRow,
    IdentityRow,
    MergeProposalRow,
)
from switchboard.intake.service_layer import merge_proposals
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer, check_access
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork
from switchboard.servicekit.auth import Principal, Role


class CannotMerge(ValueError):
    pass


async def merge_customers(
    *,
    uow: IntakeUnitOfWork,
    principal: Principal,
    survivor_id: str,
    merged_id: str,
    now: datetime,
) -> CustomerRow:
    """Admins, and coordinators who may read both records."""
    session = uow.session
    if principal.role is Role.AGENT:
        raise NotAllowed(survivor_id)
    if survivor_id == merged_id:
        raise CannotMerge("a customer cannot be merged into itself")
    rows = {
        row.id: row
        for row in await session.scalars(
            select(CustomerRow)
            .where(CustomerRow.id.in_(sorted({survivor_id, merged_id})))
            .order_by(CustomerRow.id)
            .with_for_update()
        )
    }
    if survivor_id not in rows or merged_id not in rows:
        raise UnknownCustomer(survivor_id if survivor_id not in rows else merged_id)
    survivor, merged = rows[survivor_id], rows[merged_id]
    gone = await session.scalars(
        select(CustomerMergeRow.merged_id).where(
            CustomerMergeRow.merged_id.in_([survivor_id, merged_id])
        )
    )
    if already := list(gone):
        raise CannotMerge(f"customer {already[0]!r} was merged already")
    for customer in (survivor, merged):
        await check_access(session, principal, customer)
    case_ids = list(
        await session.scalars(select(CaseRow.id).where(CaseRow.customer_id == merged_id))
    )
    for model in (IdentityRow, CaseRow, ContactRow, CustomerNoteRow, CustomerConsentRow):
        await session.execute(
            update(model)
            .where(model.customer_id == merged_id)  # type: ignore[attr-defined]
            .values(customer_id=survivor_id)
        )
    survivor.vip = survivor.vip or merged.vip
    survivor.tier = survivor.tier or merged.tier
    survivor.region = survivor.region or merged.region
    survivor.display_name = survivor.display_name or merged.display_name
    by = f"{principal.role.value}:{principal.subject}"
    session.add(
        CustomerMergeRow(merged_id=merged_id, survivor_id=survivor_id, merged_at=now, merged_by=by)
    )
    first, second = sorted((survivor_id, merged_id))
    await session.execute(
        update(MergeProposalRow)
        .where(MergeProposalRow.first_id == first, MergeProposalRow.second_id == second)
        .values(status=merge_proposals.MERGED)
    )
    actor = (
        Actor(kind=ActorKind.COORDINATOR, id=principal.subject)
        if principal.role is Role.COORDINATOR
        else Actor(kind=ActorKind.SYSTEM, id=f"admin:{principal.subject}")
    )
    # A record with more cases than one event carries is told in several, each naming
    # its share (the consumers' handling repeats harmlessly); one event failed validation.
    per_event = CustomerMerged.model_fields["case_ids"].metadata[0].max_length
    await uow.publish(
        *(
            CustomerMerged(
                survivor_id=survivor_id,
                merged_id=merged_id,
                merged_at=now,
                by=actor,
                case_ids=tuple(case_ids[start : start + per_event]),
            )
            for start in range(0, max(len(case_ids), 1), per_event)
        )
    )
    return survivor


async def survivor_of(session: AsyncSession, customer_id: str) -> str | None:
    """Where a merged customer's record went; None if it was not merged."""
    row = await session.get(CustomerMergeRow, customer_id)
    return row.survivor_id if row else None
