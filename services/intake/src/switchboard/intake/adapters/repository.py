"""Queries intake runs inside a use case's transaction, shaped to keep round trips few: one
query finds, for a whole batch of contacts, earlier acceptances, known identities and the
threads they refer to."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, cast, literal, null, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import QueryableAttribute
from sqlalchemy.sql import ColumnElement, CompoundSelect, Select
from sqlalchemy.sql.elements import Label

from switchboard.intake.adapters.orm import CaseRow, ContactRow, CustomerRow, IdentityRow, ReplyRow
from switchboard.intake.domain.threading import CandidateCase, CaseStatus
from switchboard.intake.domain.values import Channel
from switchboard.servicekit.db import dialect_of


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


def _one_of(column: QueryableAttribute[Any], name: str, dialect: str) -> ColumnElement[bool]:
    """``column = ANY(:name)`` on PostgreSQL: one SQL text for any number of values, so the
    statement stays prepared; elsewhere an IN list."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String)))
    return column.in_(bindparam(name, expanding=True))


@functools.cache
def _look_up_statement(
    dialect: str, *, by_message: bool, by_identity: bool, by_thread: bool
) -> CompoundSelect[Any]:
    """Built once per shape; the values come as parameters (see ``look_up_many``)."""
    same_message = _one_of(ContactRow.webhook_id, "webhooks", dialect)
    if by_message:
        same_message = or_(
            same_message, _one_of(ContactRow.provider_message_id, "messages", dialect)
        )
    branches: list[Select[Any, Any, Any, Any, Any, Any, Any, Any]] = [
        select(
            _kind("earlier"),
            ContactRow.adapter_id,
            ContactRow.webhook_id,
            ContactRow.provider_message_id,
            ContactRow.id,
            ContactRow.case_id,
            ContactRow.customer_id,
            ContactRow.outcome,
        ).where(_one_of(ContactRow.adapter_id, "adapters", dialect), same_message)
    ]
    if by_identity:
        branches.append(
            select(
                _kind("identity"),
                IdentityRow.key,
                IdentityRow.customer_id,
                null(),
                null(),
                null(),
                null(),
                null(),
            ).where(_one_of(IdentityRow.key, "identity_keys", dialect))
        )
    if by_thread:
        branches.append(
            select(
                _kind("thread"),
                ContactRow.thread_ref,
                ContactRow.case_id,
                null(),
                null(),
                null(),
                null(),
                null(),
            )
            .where(_one_of(ContactRow.thread_ref, "thread_refs", dialect))
            .distinct()
        )
        branches.append(  # an answer to an agent's reply (its Message-ID)
            select(
                _kind("thread"),
                ReplyRow.thread_ref,
                ReplyRow.case_id,
                null(),
                null(),
                null(),
                null(),
                null(),
            ).where(_one_of(ReplyRow.thread_ref, "thread_refs", dialect))
        )
    return union_all(*[branch.subquery().select() for branch in branches])


async def look_up(session: AsyncSession, wanted: LookUp) -> Known:
    return (await look_up_many(session, [wanted]))[0]


async def look_up_many(session: AsyncSession, wanted: Sequence[LookUp]) -> list[Known]:
    """One round trip for a whole batch of contacts: earlier acceptances of the same messages,
    the owners of their identities, and the cases their thread references reach."""
    values = {
        "adapters": sorted({item.adapter_id for item in wanted}),
        "webhooks": sorted({item.webhook_id for item in wanted}),
        "messages": sorted({i.provider_message_id for i in wanted if i.provider_message_id}),
        "identity_keys": sorted({key for item in wanted for key in item.identity_keys}),
        "thread_refs": sorted({ref for item in wanted for ref in item.thread_refs}),
    }
    statement = _look_up_statement(
        dialect_of(session),
        by_message=bool(values["messages"]),
        by_identity=bool(values["identity_keys"]),
        by_thread=bool(values["thread_refs"]),
    )
    parameters = {name: listed for name, listed in values.items() if listed}
    earlier: dict[tuple[str, str], EarlierContact] = {}
    owners: dict[str, str] = {}
    threads: dict[str, set[str]] = {}
    for kind, first, second, third, *accepted in (
        await session.execute(statement, parameters)
    ).all():
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


async def oldest_customer(session: AsyncSession, customer_ids: set[str]) -> CustomerRow | None:
    statement = (
        select(CustomerRow)
        .where(CustomerRow.id.in_(customer_ids))
        .order_by(CustomerRow.created_at, CustomerRow.id)
        .limit(1)
    )
    return (await session.scalars(statement)).first()


@dataclass(frozen=True)
class LockedCases:
    """Candidate cases for a contact, and their rows (locked, and kept in the session)."""

    candidates: list[CandidateCase]
    rows: dict[str, CaseRow]


async def candidate_cases(
    session: AsyncSession,
    *,
    threaded_case_ids: set[str],
    customer_id: str | None,
    channel: Channel,
    reopenable_since: datetime,
) -> LockedCases:
    """The cases the contact's threads reach and the customer's live cases on its channel,
    locked (in id order, so concurrent contacts never deadlock) until commit.

    The rows are returned too: the session holds loaded rows only while they are referenced,
    and the one the contact joins would otherwise be read a second time."""
    conditions: list[ColumnElement[bool]] = []
    if threaded_case_ids:
        conditions.append(CaseRow.id.in_(threaded_case_ids))
    if customer_id is not None:
        live = or_(CaseRow.status == CaseStatus.OPEN.value, CaseRow.resolved_at >= reopenable_since)
        conditions.append(
            (CaseRow.customer_id == customer_id) & (CaseRow.channel == channel.value) & live
        )
    if not conditions:
        return LockedCases([], {})
    statement = select(CaseRow).where(or_(*conditions)).order_by(CaseRow.id).with_for_update()
    cases = (await session.scalars(statement)).all()
    candidates = [
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
    return LockedCases(candidates, {case.id: case for case in cases})
