"""Queries intake runs inside a handler's transaction, shaped to keep round trips few: one
query finds, for a whole batch of contacts, earlier acceptances, known identities and the
threads they refer to."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import String, cast, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import ColumnElement, Select
from sqlalchemy.sql.elements import Label

from switchboard.intake.adapters.orm import Case, Contact, Customer, Identity
from switchboard.intake.domain.threading import CandidateCase, CaseStatus
from switchboard.intake.domain.values import Channel


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True)
class EarlierContact:
    contact_id: str
    case_id: str
    customer_id: str
    outcome: str


@dataclass
class Known:
    """What the database already knows about an incoming contact."""

    earlier: EarlierContact | None = None
    identity_owners: dict[str, str] = field(default_factory=dict)
    threaded_case_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class LookUp:
    """What to look up for one incoming contact."""

    adapter_id: str
    webhook_id: str
    provider_message_id: str | None
    identity_keys: Sequence[str]
    thread_refs: Sequence[str]


def _kind(value: str) -> Label[str]:
    return cast(literal(value), String).label("kind")


async def look_up(session: AsyncSession, wanted: LookUp) -> Known:
    return (await look_up_many(session, [wanted]))[0]


async def look_up_many(session: AsyncSession, wanted: Sequence[LookUp]) -> list[Known]:
    """One round trip for a whole batch of contacts: earlier acceptances of the same messages,
    the owners of their identities, and the cases their thread references reach."""
    adapters = {item.adapter_id for item in wanted}
    webhooks = {item.webhook_id for item in wanted}
    messages = {item.provider_message_id for item in wanted if item.provider_message_id}
    identity_keys = {key for item in wanted for key in item.identity_keys}
    thread_refs = {ref for item in wanted for ref in item.thread_refs}
    same_message: ColumnElement[bool] = Contact.webhook_id.in_(webhooks)
    if messages:
        same_message = or_(same_message, Contact.provider_message_id.in_(messages))
    branches: list[Select[Any, Any, Any, Any, Any, Any, Any, Any]] = [
        select(
            _kind("earlier"),
            Contact.adapter_id,
            Contact.webhook_id,
            Contact.provider_message_id,
            Contact.id,
            Contact.case_id,
            Contact.customer_id,
            Contact.outcome,
        ).where(Contact.adapter_id.in_(adapters), same_message)
    ]
    if identity_keys:
        branches.append(
            select(
                _kind("identity"),
                Identity.key,
                Identity.customer_id,
                null(),
                null(),
                null(),
                null(),
                null(),
            ).where(Identity.key.in_(identity_keys))
        )
    if thread_refs:
        branches.append(
            select(
                _kind("thread"),
                Contact.thread_ref,
                Contact.case_id,
                null(),
                null(),
                null(),
                null(),
                null(),
            )
            .where(Contact.thread_ref.in_(thread_refs))
            .distinct()
        )
    statement = union_all(*[branch.subquery().select() for branch in branches])
    earlier: dict[tuple[str, str], EarlierContact] = {}
    owners: dict[str, str] = {}
    threads: dict[str, set[str]] = {}
    for kind, first, second, third, *accepted in (await session.execute(statement)).all():
        if kind == "earlier":
            contact = EarlierContact(*accepted)
            earlier[(first, f"webhook:{second}")] = contact
            if third:
                earlier[(first, f"message:{third}")] = contact
        elif kind == "identity":
            owners[first] = second
        else:
            threads.setdefault(first, set()).add(second)
    return [
        Known(
            earlier=earlier.get((item.adapter_id, f"webhook:{item.webhook_id}"))
            or earlier.get((item.adapter_id, f"message:{item.provider_message_id}")),
            identity_owners={k: owners[k] for k in item.identity_keys if k in owners},
            threaded_case_ids={c for ref in item.thread_refs for c in threads.get(ref, ())},
        )
        for item in wanted
    ]


async def oldest_customer(session: AsyncSession, customer_ids: set[str]) -> Customer | None:
    statement = (
        select(Customer)
        .where(Customer.id.in_(customer_ids))
        .order_by(Customer.created_at, Customer.id)
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def candidate_cases(
    session: AsyncSession,
    *,
    threaded_case_ids: set[str],
    customer_id: str | None,
    channel: Channel,
    reopenable_since: datetime,
) -> list[CandidateCase]:
    """The cases the contact's threads reach and the customer's live cases on its channel,
    locked (in id order, so concurrent contacts never deadlock) until commit."""
    conditions: list[ColumnElement[bool]] = []
    if threaded_case_ids:
        conditions.append(Case.id.in_(threaded_case_ids))
    if customer_id is not None:
        live = or_(Case.status == CaseStatus.OPEN.value, Case.resolved_at >= reopenable_since)
        conditions.append(
            (Case.customer_id == customer_id) & (Case.channel == channel.value) & live
        )
    if not conditions:
        return []
    statement = select(Case).where(or_(*conditions)).order_by(Case.id).with_for_update()
    cases = (await session.scalars(statement)).all()
    return [
        CandidateCase(
            case_id=case.id,
            channel=Channel(case.channel),
            status=CaseStatus(case.status),
            last_activity_at=case.last_activity_at,
            resolved_at=case.resolved_at,
            matched_thread_ref=case.id in threaded_case_ids,
        )
        for case in cases
    ]
