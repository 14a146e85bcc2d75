"""A customer's record: who they are (identities, language, tier, VIP), their cases with
state, channel, dates and outcome, coordinators' notes, and their current consents.

Who may read it: admins; coordinators whose regions cover the customer's home region or one
of their cases; the agent holding one of their cases. Coordinators and admins may add notes
(a coordinator only to a record they may read)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.consent_history import consents_of
from switchboard.intake.adapters.orm import (
    CaseHolderRow,
    CaseRow,
    ContactRow,
    CustomerMergeRow,
    CustomerNoteRow,
    CustomerRow,
    IdentityRow,
)
from switchboard.intake.domain.consents import ConsentChange, Purpose
from switchboard.intake.domain.identity import IdentityKey
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.servicekit.auth import Principal, Role


class UnknownCustomer(LookupError):
    pass


@dataclass(frozen=True)
class CaseSummary:
    case_id: str
    channel: str
    region: str
    status: str
    subject: str | None
    opened_at: datetime
    last_activity_at: datetime
    resolved_at: datetime | None
    resolution_code: str | None
    """How it was last resolved (kept when the case reopens, like ``resolved_at``)."""
    held_by: str | None


@dataclass(frozen=True)
class Note:
    id: str
    author: str
    text: str
    created_at: datetime


@dataclass(frozen=True)
class CustomerRecord:
    id: str
    display_name: str | None
    region: str | None
    tier: str | None
    vip: bool
    created_at: datetime
    language: str | None
    """Of their latest contact whose language was determined."""
    identities: Sequence[dict[str, str]]
    cases: Sequence[CaseSummary]
    """Newest first."""
    notes: Sequence[Note]
    """Newest first."""
    merged_ids: Sequence[str]
    """Customer records merged into this one (their ids lead here)."""
    consents: Mapping[Purpose, ConsentChange | None]
    """The current state of each purpose (None: never recorded)."""


async def customer_of(session: AsyncSession, identity: IdentityKey) -> str:
    row = await session.get(IdentityRow, str(identity))
    if row is None:
        raise UnknownCustomer(str(identity))
    return row.customer_id


async def read_record(
    session: AsyncSession, principal: Principal, customer_id: str, *, cases: int = 50
) -> CustomerRecord:
    customer = await current_customer(session, customer_id)
    customer_id = customer.id
    await check_access(session, principal, customer)
    case_rows = await _cases(session, customer_id, cases)
    holders = await _holders(session, [case.id for case in case_rows])
    identities = (
        await session.execute(
            select(IdentityRow.key)
            .where(IdentityRow.customer_id == customer_id)
            .order_by(IdentityRow.key)
        )
    ).scalars()
    language = (
        await session.execute(
            select(ContactRow.language)
            .where(ContactRow.customer_id == customer_id, ContactRow.language != "und")
            .order_by(ContactRow.received_at.desc())
            .limit(1)
        )
    ).scalar()
    notes = (
        await session.execute(
            select(CustomerNoteRow)
            .where(CustomerNoteRow.customer_id == customer_id)
            .order_by(CustomerNoteRow.created_at.desc(), CustomerNoteRow.id)
            .limit(200)
        )
    ).scalars()
    return CustomerRecord(
        id=customer.id,
        display_name=customer.display_name,
        region=customer.region,
        tier=customer.tier,
        vip=customer.vip,
        created_at=customer.created_at,
        language=language,
        identities=[
            dict(zip(("kind", "value"), key.split(":", 1), strict=True)) for key in identities
        ],
        cases=[
            CaseSummary(
                case_id=case.id,
                channel=case.channel,
                region=case.region,
                status=case.status,
                subject=case.subject,
                opened_at=case.opened_at,
                last_activity_at=case.last_activity_at,
                resolved_at=case.resolved_at,
                resolution_code=case.resolution_code,
                held_by=holders.get(case.id),
            )
            for case in case_rows
        ],
        notes=[Note(n.id, n.author, n.text, n.created_at) for n in notes],
        merged_ids=list(
            await session.scalars(
                select(CustomerMergeRow.merged_id)
                .where(CustomerMergeRow.survivor_id == customer_id)
                .order_by(CustomerMergeRow.merged_at)
            )
        ),
        consents=(await consents_of(session, customer_id)).by_purpose(),
    )


async def add_note(
    session: AsyncSession, principal: Principal, customer_id: str, text: str, *, at: datetime
) -> Note:
    """Coordinators and admins only (agents read notes, they do not write them)."""
    if principal.role is Role.AGENT:
        raise NotAllowed(customer_id)
    customer = await current_customer(session, customer_id)
    await check_access(session, principal, customer)
    note = CustomerNoteRow(
        id=str(uuid.uuid4()),
        customer_id=customer.id,
        author=f"{principal.role.value}:{principal.subject}",
        text=text,
        created_at=at,
    )
    session.add(note)
    return Note(note.id, note.author, note.text, note.created_at)


async def current_customer(session: AsyncSession, customer_id: str) -> CustomerRow:
    """The customer's record; a merged customer's id leads to the survivor's."""
    merged_into = await session.get(CustomerMergeRow, customer_id)
    if merged_into is not None:
        customer_id = merged_into.survivor_id
    customer = await session.get(CustomerRow, customer_id)
    if customer is None:
        raise UnknownCustomer(customer_id)
    return customer


async def _cases(session: AsyncSession, customer_id: str, limit: int) -> list[CaseRow]:
    query = (
        select(CaseRow)
        .where(CaseRow.customer_id == customer_id)
        .order_by(CaseRow.opened_at.desc(), CaseRow.id)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def _holders(session: AsyncSession, case_ids: Sequence[str]) -> dict[str, str | None]:
    if not case_ids:
        return {}
    query = select(CaseHolderRow.case_id, CaseHolderRow.agent_id).where(
        CaseHolderRow.case_id.in_(case_ids)
    )
    return {case_id: agent_id for case_id, agent_id in await session.execute(query)}


async def check_access(session: AsyncSession, principal: Principal, customer: CustomerRow) -> None:
    """Admins; coordinators covering the customer's home region or a region of one of their
    cases; the agent holding one of their cases. ``NotAllowed`` for anyone else."""
    if principal.role is Role.ADMIN:
        return
    if principal.role is Role.COORDINATOR:
        regions = set(
            (
                await session.execute(
                    select(CaseRow.region).where(CaseRow.customer_id == customer.id).distinct()
                )
            ).scalars()
        )
        if customer.region:
            regions.add(customer.region)
        if any(principal.covers(region) for region in regions):
            return
        raise NotAllowed(customer.id)
    held = await session.execute(
        select(CaseHolderRow.case_id)
        .join(CaseRow, CaseRow.id == CaseHolderRow.case_id)
        .where(CaseRow.customer_id == customer.id, CaseHolderRow.agent_id == principal.subject)
        .limit(1)
    )
    if held.first() is None:
        raise NotAllowed(customer.id)
