"""A customer's consent changes, read back as the domain's values."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.intake.adapters.orm import CustomerConsentRow
from switchboard.intake.domain.consents import (
    ConsentChange,
    Consents,
    ConsentSource,
    ConsentState,
    Purpose,
)


async def consent_history(session: AsyncSession, customer_id: str) -> list[ConsentChange]:
    """Newest first, by when the customer expressed each."""
    query = (
        select(CustomerConsentRow)
        .where(CustomerConsentRow.customer_id == customer_id)
        .order_by(CustomerConsentRow.at.desc(), CustomerConsentRow.recorded_at.desc())
    )
    return [
        ConsentChange(
            purpose=Purpose(row.purpose),
            state=ConsentState(row.state),
            at=row.at,
            recorded_at=row.recorded_at,
            by=row.recorded_by,
            source=ConsentSource(row.source),
            note=row.note,
        )
        for row in await session.scalars(query)
    ]


async def consents_of(session: AsyncSession, customer_id: str) -> Consents:
    return Consents.from_history(await consent_history(session, customer_id))


def add_consent_change(session: AsyncSession, customer_id: str, change: ConsentChange) -> None:
    session.add(
        CustomerConsentRow(
            id=str(uuid.uuid4()),
            customer_id=customer_id,
            purpose=change.purpose.value,
            state=change.state.value,
            at=change.at,
            recorded_at=change.recorded_at,
            recorded_by=change.by,
            source=change.source.value,
            note=change.note,
        )
    )
