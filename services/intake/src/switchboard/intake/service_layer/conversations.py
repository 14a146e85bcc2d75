"""Reading a case's conversation: the agent who holds the case, coordinators of its region
and admins may; nobody else. Pages run oldest first, by a cursor past the last message."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CaseHolderRow, CaseRow, ContactRow
from switchboard.intake.domain.conversation import Message, inbound_message
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


def may_read(principal: Principal, *, region: str, holder: str | None) -> bool:
    if principal.role is Role.ADMIN:
        return True
    if principal.role is Role.COORDINATOR:
        return principal.covers(region)
    return holder is not None and principal.subject == holder


async def read_conversation(
    session: AsyncSession,
    principal: Principal,
    case_id: str,
    *,
    after: Position | None = None,
    limit: int = 50,
) -> Page:
    case = await session.get(CaseRow, case_id)
    if case is None:
        raise UnknownCase(case_id)
    holder_row = await session.get(CaseHolderRow, case_id)
    holder = holder_row.agent_id if holder_row else None
    if not may_read(principal, region=case.region, holder=holder):
        raise NotAllowed(case_id)
    query = (
        select(ContactRow)
        .where(ContactRow.case_id == case_id)
        .order_by(ContactRow.received_at, ContactRow.id)
        .limit(limit + 1)
    )
    if after is not None:
        query = query.where(
            or_(
                ContactRow.received_at > after.at,
                and_(ContactRow.received_at == after.at, ContactRow.id > after.message_id),
            )
        )
    rows = list((await session.execute(query)).scalars())
    more, rows = len(rows) > limit, rows[:limit]
    messages = [
        inbound_message(
            contact_id=row.id,
            customer_id=row.customer_id,
            channel=row.channel,
            request=row.request,
            text=row.text,
            received_at=row.received_at,
            outcome=row.outcome,
        )
        for row in rows
    ]
    last = messages[-1] if messages and more else None
    return Page(
        case=case,
        holder=holder,
        messages=messages,
        next=Position(last.at, last.id) if last else None,
    )
