"""Admins: the webhook delivery queue, each delivery's log of attempts, and resending a dead
delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.escalation.service_layer.notifications import COORDINATOR_WEBHOOKS
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.deliveries import DeliveryStatus, NotDead, resend
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import AdminDep, SessionDep
from switchboard.servicekit.tables import deliveries, delivery_attempts

router = APIRouter(prefix="/v1/admin/webhook-deliveries", tags=["admin"])
DeliveryId = Annotated[int, Path(ge=1, le=2**63 - 1)]  # a BIGINT


class DeliveryView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    message_id: str
    coordinator_id: str
    region: str
    url: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None


class AttemptView(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    attempted_at: datetime
    status_code: int | None
    error: str | None
    duration_ms: float


@router.get("", response_model=list[DeliveryView])
async def list_deliveries(
    _: AdminDep,
    session: SessionDep,
    status: Annotated[DeliveryStatus | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryView]:
    query = (
        select(deliveries)
        .where(deliveries.c.stream == COORDINATOR_WEBHOOKS)
        .order_by(deliveries.c.id.desc())
        .limit(limit)
    )
    if status:
        query = query.where(deliveries.c.status == status.value)
    return [_view(row) for row in (await session.execute(query)).all()]


@router.get("/{delivery_id}/attempts", response_model=list[AttemptView])
async def delivery_log(
    delivery_id: DeliveryId, _: AdminDep, session: SessionDep
) -> list[AttemptView]:
    query = (
        select(delivery_attempts)
        .join(deliveries, deliveries.c.id == delivery_attempts.c.delivery_id)
        .where(
            delivery_attempts.c.delivery_id == delivery_id,
            deliveries.c.stream == COORDINATOR_WEBHOOKS,
        )
        .order_by(delivery_attempts.c.id)
    )
    return [AttemptView.model_validate(r) for r in (await session.execute(query)).all()]


@router.post("/{delivery_id}/retry", response_model=DeliveryView)
async def retry_delivery(delivery_id: DeliveryId, _: AdminDep, uow: UnitOfWorkDep) -> DeliveryView:
    """Send a dead delivery again (after the receiver was fixed)."""
    stream = await uow.session.scalar(
        select(deliveries.c.stream).where(deliveries.c.id == delivery_id)
    )
    if stream != COORDINATOR_WEBHOOKS:
        raise Problem(404, f"no webhook delivery {delivery_id}")
    try:
        row = await resend(uow.session, delivery_id, at=utcnow())
    except NotDead as error:
        raise Problem(409, str(error)) from error
    assert row is not None
    return _view(row)


def _view(row: Any) -> DeliveryView:
    return DeliveryView.model_validate({**row._mapping, "coordinator_id": row.recipient})
