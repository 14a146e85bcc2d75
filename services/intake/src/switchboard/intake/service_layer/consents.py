"""A customer's consents: read their current state and history, record a change. Whoever may
read the customer's record may do both (an agent records what the customer tells them)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.consent_history import add_consent_change, consent_history
from switchboard.intake.adapters.orm import CustomerRow
from switchboard.intake.domain.consents import (
    ConsentChange,
    Consents,
    ConsentSource,
    ConsentState,
    Purpose,
)
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import check_access, current_customer
from switchboard.servicekit.auth import Principal, Role

HISTORY_LIMIT = 500


@dataclass(frozen=True)
class CustomerConsents:
    customer_id: str
    current: dict[Purpose, ConsentChange | None]
    """Every purpose; None where nothing was ever recorded."""
    history: Sequence[ConsentChange]
    """Newest first (by when the customer expressed it), at most ``HISTORY_LIMIT``."""


async def read_consents(
    session: AsyncSession, principal: Principal, customer_id: str
) -> CustomerConsents:
    customer = await current_customer(session, customer_id)
    await check_access(session, principal, customer)
    history = await consent_history(session, customer.id)
    return CustomerConsents(
        customer_id=customer.id,
        current=Consents.from_history(history).by_purpose(),
        history=history[:HISTORY_LIMIT],
    )


async def _held(session: AsyncSession, customer_id: str) -> CustomerRow:
    """The customer's current record, its row held (shared) until the change commits: a
    merge, which holds both records exclusively, waits for the change or the change waits
    for it and then goes to the survivor — never to a record merged away meanwhile."""
    customer = await current_customer(session, customer_id)
    while True:
        await session.execute(
            select(CustomerRow.id).where(CustomerRow.id == customer.id).with_for_update(read=True)
        )
        now_current = await current_customer(session, customer_id)
        if now_current.id == customer.id:
            return customer
        customer = now_current


class ImportIsAdmins(NotAllowed):
    """Only an admin records consents brought over from another system."""


async def record_consent(
    session: AsyncSession,
    principal: Principal,
    customer_id: str,
    *,
    purpose: Purpose,
    state: ConsentState,
    source: ConsentSource,
    note: str | None,
    at: datetime | None,
    now: datetime,
) -> CustomerConsents:
    """Appends the change (``at``: when the customer expressed it, now if not given); the
    answer is the customer's consents with it. Consents brought over from another system
    (``import``) are an admin's to record."""
    customer = await _held(session, customer_id)
    await check_access(session, principal, customer)
    if source is ConsentSource.IMPORT and principal.role is not Role.ADMIN:
        raise ImportIsAdmins(customer.id)
    change = ConsentChange(
        purpose=purpose,
        state=state,
        at=at or now,
        recorded_at=now,
        by=f"{principal.role.value}:{principal.subject}",
        source=source,
        note=note,
    )
    add_consent_change(session, customer.id, change)
    await session.flush()
    return await read_consents(session, principal, customer.id)
