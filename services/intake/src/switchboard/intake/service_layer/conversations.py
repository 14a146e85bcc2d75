"""Reading a case's conversation: the customer's messages and the agents' replies, oldest
first, by a cursor past the last message. The agent who holds the case, coordinators of its
region and admins may read it; nobody else."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CaseHolderRow, CaseRow, ContactRow, ReplyRow
from switchboard.intake.domain.conversation import Message, inbound_message, outbound_message
from switchboard.servicekit.auth import Principal, Role


class UnknownCase(LookupError):
    pass


class NotAllowed(PermissionError):
    pass


@dataclass(frozen=True)
class Position:
    """Where a page ends: the last message's time and id."""

    at: datetime
    message_id: str


@dataclass(frozen=True)
class Page:
    case: CaseRow
    holder: str | None
    messages: Sequence[Message]
    next: Position | None


def _past(at: Any, message_id: Any, after: Position) -> ColumnElement[bool]:
    """Later than the position: by time, then by id."""
    return or_(at > after.at, and_(at == after.at, message_id > after.message_id))


def _inbound(row: ContactRow) -> Message:
    return inbound_message(
        contact_id=row.id,
        customer_id=row.customer_id,
        channel=row.channel,
        request=row.request,
        text=row.text,
        received_at=row.received_at,
        outcome=row.outcome,
    )


def _outbound(row: ReplyRow) -> Message:
    return outbound_message(
        reply_id=row.id,
        agent_id=row.agent_id,
        channel=row.channel,
        text=row.text,
        subject=row.subject,
        html=row.html,
        attachments=row.attachments.get("items", []),
        posted_at=row.posted_at,
        delivery=row.delivery,
        delivery_error=row.delivery_error,
        kind=row.kind,
    )


def may_read(principal: Principal, *, region: str, holder: str | None) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.COORDINATOR:
        return principal.covers(region)
    return holder is not None and principal.subject == holder


async def case_and_holder(session: AsyncSession, case_id: str) -> tuple[CaseRow, str | None]:
    """The case and the agent holding it (None when nobody does), in one statement."""
    found = (
        await session.execute(
            select(CaseRow, CaseHolderRow.agent_id)
            .outerjoin(CaseHolderRow, CaseHolderRow.case_id == CaseRow.id)
            .where(CaseRow.id == case_id)
        )
    ).first()
    if found is None:
        raise UnknownCase(case_id)
    return found[0], found[1]


async def read_conversation(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    *,
    after: Position | None = None,
    limit: int = 50,
) -> Page:
    case, holder = await case_and_holder(session, case_id)
    if not may_read(principal, region=case.region, holder=holder):
        raise NotAllowed(case_id)
    inbound = select(ContactRow).where(ContactRow.case_id == case_id)
    outbound = select(ReplyRow).where(ReplyRow.case_id == case_id)
    if after is not None:
        inbound = inbound.where(_past(ContactRow.received_at, ContactRow.id, after))
        outbound = outbound.where(_past(ReplyRow.posted_at, ReplyRow.id, after))
    contacts = await session.execute(
        inbound.order_by(ContactRow.received_at, ContactRow.id).limit(limit + 1)
    )
    sent = await session.execute(
        outbound.order_by(ReplyRow.posted_at, ReplyRow.id).limit(limit + 1)
    )
    both = sorted(
        [_inbound(row) for row in contacts.scalars()] + [_outbound(row) for row in sent.scalars()],
        key=lambda message: (message.at, message.id),
    )
    more, messages = len(both) > limit, both[:limit]
    last = messages[-1] if messages and more else None
    return Page(
        case=case,
        holder=holder,
        messages=messages,
        next=Position(last.at, last.id) if last else None,
    )
