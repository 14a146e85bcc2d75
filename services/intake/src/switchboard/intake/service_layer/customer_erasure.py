"""Erasing a customer (GDPR art. 17) and exporting what intake holds of them (art. 15).

Intake owns customers, so it takes the request: it destroys the customer's data key (every
sealed copy of their personal fields on the topics becomes unreadable), strips its own rows
of the customer's personal data (name, identities, notes, consents, message texts and
requests, subjects, thread and provider references, outbound bodies), keeps the rows' ids
and dates so that counts stay right, records the erasure, and publishes
``CustomerErasureRequested`` for the other services with its own
``CustomerErasedByIntake``. Their confirmations arrive as events and complete the
erasure's status. Admins only."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    CustomerErased,
    CustomerErasedByIntake,
    CustomerErasureRequested,
)
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.intake.adapters.customer_keys import destroy_keys, keys_for
from switchboard.intake.adapters.orm import (
    Base,
    CaseRow,
    ContactRow,
    CustomerConsentRow,
    CustomerErasureRow,
    CustomerMergeRow,
    CustomerNoteRow,
    CustomerRow,
    IdentityRow,
    ReplyRow,
)
from switchboard.intake.domain.erasure import Erasure
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer
from switchboard.intake.service_layer.replies import OUTBOUND_STREAM
from switchboard.intake.service_layer.unit_of_work import IntakeUnitOfWork
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.auth.principals import SERVICE_SUBJECT
from switchboard.servicekit.deliveries import scrub


async def request_erasure(
    *, uow: IntakeUnitOfWork, principal: Principal, customer_id: str, now: datetime
) -> Erasure:
    """Erase intake's share at once and ask the other services for theirs; asking again
    answers the erasure already under way."""
    session = uow.session
    _admin_only(principal, customer_id)
    customer_id = await _survivor(session, customer_id)
    # The customer's row locked first: a second request at the same time waits here and
    # then finds the first one's erasure (it would otherwise insert its own and fail).
    if await session.get(CustomerRow, customer_id, with_for_update=True) is None:
        raise UnknownCustomer(customer_id)
    existing = await session.scalar(
        select(CustomerErasureRow).where(CustomerErasureRow.customer_id == customer_id)
    )
    if existing is not None:
        return erasure_of(existing)
    merged_ids = list(
        await session.scalars(
            select(CustomerMergeRow.merged_id).where(CustomerMergeRow.survivor_id == customer_id)
        )
    )
    ids = [customer_id, *merged_ids]
    case_ids = list(await session.scalars(select(CaseRow.id).where(CaseRow.customer_id.in_(ids))))
    rows = await _erase_rows(session, ids, case_ids)
    erasure = Erasure(
        erasure_id=str(uuid.uuid4()),
        customer_id=customer_id,
        requested_at=now,
        requested_by=principal.subject,
    ).confirm("intake", now)
    session.add(
        CustomerErasureRow(
            erasure_id=erasure.erasure_id,
            customer_id=customer_id,
            requested_at=now,
            requested_by=principal.subject,
            confirmations=_stored(erasure),
        )
    )
    await uow.publish(
        *erasure_requests(
            erasure_id=erasure.erasure_id,
            customer_id=customer_id,
            requested_at=now,
            by=Actor(kind=ActorKind.SYSTEM, id=f"admin:{principal.subject}"[:128]),
            case_ids=case_ids,
            merged_ids=merged_ids,
        ),
        CustomerErasedByIntake(
            erasure_id=erasure.erasure_id,
            customer_id=customer_id,
            service="intake",
            erased_at=now,
            rows=rows,
        ),
    )
    return erasure


CASE_IDS_PER_REQUEST = CustomerErasureRequested.model_fields["case_ids"].metadata[0].max_length
MERGED_IDS_PER_REQUEST = CustomerErasureRequested.model_fields["merged_ids"].metadata[0].max_length


def erasure_requests(
    *,
    erasure_id: str,
    customer_id: str,
    requested_at: datetime,
    by: Actor,
    case_ids: Sequence[str],
    merged_ids: Sequence[str],
) -> list[CustomerErasureRequested]:
    """The request, split over as many events as the event's lists need: a customer with
    more cases (or merged records) than one event carries is erased by several, each
    naming its share — every service erases by the customer ids it is given and the
    cases it is given, so the shares add up (one event failed validation: a 500, every
    time)."""
    count = max(
        1,
        -(-len(case_ids) // CASE_IDS_PER_REQUEST),
        -(-len(merged_ids) // MERGED_IDS_PER_REQUEST),
    )
    return [
        CustomerErasureRequested(
            erasure_id=erasure_id,
            customer_id=customer_id,
            requested_at=requested_at,
            by=by,
            case_ids=tuple(case_ids[n * CASE_IDS_PER_REQUEST : (n + 1) * CASE_IDS_PER_REQUEST]),
            merged_ids=tuple(
                merged_ids[n * MERGED_IDS_PER_REQUEST : (n + 1) * MERGED_IDS_PER_REQUEST]
            ),
        )
        for n in range(count)
    ]


async def record_confirmation(message: Envelope[CustomerErased], uow: IntakeUnitOfWork) -> None:
    """Another service erased its share: the erasure's status says so."""
    confirmed = message.data
    row = await uow.session.get(CustomerErasureRow, confirmed.erasure_id, with_for_update=True)
    if row is None:
        return
    row.confirmations = _stored(erasure_of(row).confirm(confirmed.service, confirmed.erased_at))


async def erasure_status(session: AsyncSession, principal: Principal, customer_id: str) -> Erasure:
    _admin_only(principal, customer_id)
    customer_id = await _survivor(session, customer_id)
    row = await session.scalar(
        select(CustomerErasureRow).where(CustomerErasureRow.customer_id == customer_id)
    )
    if row is None:
        raise UnknownCustomer(customer_id)
    return erasure_of(row)


async def export_customer(
    session: AsyncSession, principal: Principal, customer_id: str
) -> dict[str, Any]:
    """Every row intake holds of the customer (and of customers merged into them)."""
    _admin_only(principal, customer_id)
    customer_id = await _survivor(session, customer_id)
    customer = await session.get(CustomerRow, customer_id)
    if customer is None:
        raise UnknownCustomer(customer_id)
    merges = list(
        await session.scalars(
            select(CustomerMergeRow).where(CustomerMergeRow.survivor_id == customer_id)
        )
    )
    ids = [customer_id, *(m.merged_id for m in merges)]
    cases = list(await session.scalars(select(CaseRow).where(CaseRow.customer_id.in_(ids))))
    case_ids = [case.id for case in cases]
    by_customer = (IdentityRow, CustomerNoteRow, CustomerConsentRow, ContactRow)
    tables: dict[str, list[dict[str, Any]]] = {
        "customers": [
            _plain(row) for row in await _rows(session, CustomerRow, CustomerRow.id, ids)
        ],
        "customer_merges": [_plain(row) for row in merges],
        "cases": [_plain(row) for row in cases],
        "replies": [
            _plain(row) for row in await _rows(session, ReplyRow, ReplyRow.case_id, case_ids)
        ],
        "erasures": [
            _plain(row)
            for row in await _rows(
                session, CustomerErasureRow, CustomerErasureRow.customer_id, [customer_id]
            )
        ],
    }
    for model in by_customer:
        found = await _rows(session, model, model.customer_id, ids)  # type: ignore[attr-defined]
        tables[model.__tablename__.removeprefix("intake_")] = [_plain(row) for row in found]
    return {"service": "intake", "customer_id": customer_id, "tables": tables}


def erasure_of(row: CustomerErasureRow) -> Erasure:
    return Erasure(
        erasure_id=row.erasure_id,
        customer_id=row.customer_id,
        requested_at=row.requested_at,
        requested_by=row.requested_by,
    ).confirmed_from(
        {service: datetime.fromisoformat(at) for service, at in row.confirmations.items()}
    )


async def _erase_rows(session: AsyncSession, ids: list[str], case_ids: list[str]) -> int:
    reply_ids = list(
        await session.scalars(select(ReplyRow.id).where(ReplyRow.case_id.in_(case_ids)))
    )
    statements = [
        update(CustomerRow).where(CustomerRow.id.in_(ids)).values(display_name=None),
        delete(IdentityRow).where(IdentityRow.customer_id.in_(ids)),
        delete(CustomerNoteRow).where(CustomerNoteRow.customer_id.in_(ids)),
        delete(CustomerConsentRow).where(CustomerConsentRow.customer_id.in_(ids)),
        update(CaseRow).where(CaseRow.id.in_(case_ids)).values(subject=None),
        update(ContactRow)
        .where(ContactRow.customer_id.in_(ids))
        .values(
            text="",
            request={},
            provider_message_id=None,
            thread_ref=None,
            webhook_id=literal("erased:") + ContactRow.id,
        ),
        update(ReplyRow)
        .where(ReplyRow.id.in_(reply_ids))
        .values(
            text="",
            subject=None,
            html=None,
            attachments={"items": []},
            thread_ref=None,
            provider_message_id=None,
            delivery_error=None,
            idempotency_key=None,
            request_digest=None,
        ),
    ]
    rows = await destroy_keys(session, ids)
    for statement in statements:
        result = await session.execute(statement)
        rows += result.rowcount or 0  # type: ignore[attr-defined]
    return rows + await scrub(session, stream=OUTBOUND_STREAM, message_ids=reply_ids)


async def data_key(*, uow: IntakeUnitOfWork, principal: Principal, customer_id: str) -> bytes:
    """The customer's data key, for a service that opens or seals their personal fields;
    made now if they have none. ``Erased`` once the customer is."""
    session = uow.session
    _services_only(principal, customer_id)
    KEY_READS.info("data key of customer %s read by %s", customer_id, principal.subject)
    erased = await session.scalar(
        select(CustomerErasureRow.erasure_id).where(CustomerErasureRow.customer_id == customer_id)
    )
    if erased is not None or await _survivor_erased(session, customer_id):
        raise Erased(customer_id)
    if await session.get(CustomerRow, customer_id) is None:
        raise UnknownCustomer(customer_id)
    return (await keys_for(session, [customer_id]))[customer_id]


class Erased(LookupError):
    pass


async def _survivor_erased(session: AsyncSession, customer_id: str) -> bool:
    survivor = await _survivor(session, customer_id)
    if survivor == customer_id:
        return False
    found = await session.scalar(
        select(CustomerErasureRow.erasure_id).where(CustomerErasureRow.customer_id == survivor)
    )
    return found is not None


async def _survivor(session: AsyncSession, customer_id: str) -> str:
    """A merged customer's id leads to the record it was merged into."""
    survivor = await session.scalar(
        select(CustomerMergeRow.survivor_id).where(CustomerMergeRow.merged_id == customer_id)
    )
    return survivor or customer_id


async def _rows(session: AsyncSession, model: Any, column: Any, values: Sequence[str]) -> list[Any]:
    if not values:
        return []
    return list(await session.scalars(select(model).where(column.in_(list(values)))))


def _plain(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}


def _stored(erasure: Erasure) -> dict[str, Any]:
    return {service: at.isoformat() for service, at in erasure.confirmations.items()}


"""The subjects of the tokens services issue themselves to read data keys: a person's
admin token (single sign-on, or one made for switchboard-gdpr) reads no key."""
KEY_READS = logging.getLogger("switchboard.intake.key_reads")


def _services_only(principal: Principal, customer_id: str) -> None:
    """Keys go to services: an admin token signed with the platform's secret whose subject
    is ``service:<name>`` — never a single sign-on token, whatever its subject claim."""
    service = principal.subject.startswith(SERVICE_SUBJECT) and principal.platform_signed
    if principal.role is not Role.ADMIN or not service:
        raise NotAllowed(customer_id)


def _admin_only(principal: Principal, customer_id: str) -> None:
    if principal.role is not Role.ADMIN:
        raise NotAllowed(customer_id)
