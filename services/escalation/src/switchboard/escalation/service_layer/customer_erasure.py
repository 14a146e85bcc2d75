"""A customer erased (GDPR art. 17) and exported (art. 15), as far as escalation holds them.

Cases, escalations, SLA clocks and their counts stay, with the customer's id (an opaque
id: intake no longer ties it to anyone); what is personal goes: the reasons of the
customer's escalations (a survey comment copied in), the coordinator webhooks about
those cases, which carried the escalation events, and the customer's texts the problem
detector holds (its contacts' rows and the problems' examples).
``CustomerErasedByEscalation`` confirms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CustomerErasedByEscalation, CustomerErasureRequested
from switchboard.escalation.adapters import problems
from switchboard.escalation.adapters.orm import Base, CaseRow, ClockRow, EscalationRow
from switchboard.escalation.service_layer.notifications import COORDINATOR_WEBHOOKS
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.deliveries import scrub
from switchboard.servicekit.tables import deliveries


async def erase_customer(
    message: Envelope[CustomerErasureRequested], uow: EscalationUnitOfWork
) -> None:
    request, session = message.data, uow.session
    ids = [request.customer_id, *request.merged_ids]
    found = await session.scalars(select(CaseRow.case_id).where(CaseRow.customer_id.in_(ids)))
    case_ids = sorted({*request.case_ids, *found})
    rows = 0
    reasons = update(EscalationRow).where(EscalationRow.case_id.in_(case_ids)).values(reason=None)
    rows += (await session.execute(reasons)).rowcount or 0  # type: ignore[attr-defined]
    rows += await problems.erase_customers(session, ids)
    rows += await scrub(
        session,
        stream=COORDINATOR_WEBHOOKS,
        message_ids=await _webhooks_about(session, case_ids),
    )
    await uow.publish(
        CustomerErasedByEscalation(
            erasure_id=request.erasure_id,
            customer_id=request.customer_id,
            service="escalation",
            erased_at=datetime.now(UTC),
            rows=rows,
        )
    )


async def export_customer(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    """Every row escalation holds of the customer: cases, their SLA clocks, escalations."""
    cases = list(await session.scalars(select(CaseRow).where(CaseRow.customer_id == customer_id)))
    case_ids = [case.case_id for case in cases]
    tables: dict[str, Iterable[Base]] = {
        "cases": cases,
        "sla_clocks": await session.scalars(select(ClockRow).where(ClockRow.case_id.in_(case_ids))),
        "escalations": await session.scalars(
            select(EscalationRow).where(EscalationRow.case_id.in_(case_ids))
        ),
        "problem_contacts": await session.scalars(
            select(problems.ProblemContactRow).where(
                problems.ProblemContactRow.customer_id == customer_id
            )
        ),
    }
    return {
        "service": "escalation",
        "customer_id": customer_id,
        "tables": {name: [_plain(row) for row in rows] for name, rows in tables.items()},
    }


async def _webhooks_about(session: AsyncSession, case_ids: list[str]) -> list[str]:
    """The coordinator webhooks whose event names one of these cases (ids are unique)."""
    if not case_ids:
        return []
    mentions = or_(*(deliveries.c.body.contains(case_id) for case_id in case_ids))
    chosen = (deliveries.c.stream == COORDINATOR_WEBHOOKS) & mentions
    return list(await session.scalars(select(deliveries.c.message_id).where(chosen)))


def _plain(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
