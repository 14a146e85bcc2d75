"""A customer erased (GDPR art. 17) and exported (art. 15), as far as routing holds them.

Routing keeps no personal text: its cases carry the customer's opaque id (intake no longer
ties it to anyone) and stay, counted as they were; the customer's last agent, a preference
about a person, goes. ``CustomerErasedByRouting`` confirms."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CustomerErasedByRouting, CustomerErasureRequested
from switchboard.routing.adapters.orm import Base, CaseRow, LastAgentRow
from switchboard.routing.service_layer.unit_of_work import RoutingUnitOfWork


async def erase_customer(
    message: Envelope[CustomerErasureRequested], uow: RoutingUnitOfWork
) -> None:
    request = message.data
    ids = [request.customer_id, *request.merged_ids]
    forgotten = delete(LastAgentRow).where(LastAgentRow.customer_id.in_(ids))
    rows = (await uow.session.execute(forgotten)).rowcount or 0  # type: ignore[attr-defined]
    await uow.publish(
        CustomerErasedByRouting(
            erasure_id=request.erasure_id,
            customer_id=request.customer_id,
            service="routing",
            erased_at=datetime.now(UTC),
            rows=rows,
        )
    )


async def export_customer(session: AsyncSession, customer_id: str) -> dict[str, Any]:
    """Every row routing holds of the customer: cases and the last agent."""
    tables: dict[str, Iterable[Base]] = {
        "cases": await session.scalars(select(CaseRow).where(CaseRow.customer_id == customer_id)),
        "last_agents": await session.scalars(
            select(LastAgentRow).where(LastAgentRow.customer_id == customer_id)
        ),
    }
    return {
        "service": "routing",
        "customer_id": customer_id,
        "tables": {name: [_plain(row) for row in rows] for name, rows in tables.items()},
    }


def _plain(row: Base) -> dict[str, Any]:
    return {column.key: getattr(row, column.key) for column in row.__table__.columns}
