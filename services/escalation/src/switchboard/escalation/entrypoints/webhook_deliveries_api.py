"""Admins: the webhook delivery queue, each delivery's log of attempts, and resending a dead
delivery."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict
from sqlalchemy import select

from switchboard.escalation.adapters.orm import WebhookAttemptRow, WebhookDeliveryRow
from switchboard.escalation.domain.webhooks import DeliveryStatus
from switchboard.escalation.entrypoints.dependencies import UnitOfWorkDep
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.http.problems import Problem
from switchboard.servicekit.service.dependencies import AdminDep, SessionDep

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
    query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id.desc()).limit(limit)
    if status:
        query = query.where(WebhookDeliveryRow.status == status.value)
    return [DeliveryView.model_validate(r) for r in (await session.execute(query)).scalars()]


@router.get("/{delivery_id}/attempts", response_model=list[AttemptView])
async def delivery_log(
    delivery_id: DeliveryId, _: AdminDep, session: SessionDep
) -> list[AttemptView]:
    query = (
        select(WebhookAttemptRow)
        .where(WebhookAttemptRow.delivery_id == delivery_id)
        .order_by(WebhookAttemptRow.id)
    )
    return [AttemptView.model_validate(r) for r in (await session.execute(query)).scalars()]


@router.post("/{delivery_id}/retry", response_model=DeliveryView)
async def retry_delivery(delivery_id: DeliveryId, _: AdminDep, uow: UnitOfWorkDep) -> DeliveryView:
    """Send a dead delivery again (after the receiver was fixed)."""
    row = await uow.session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
    if row is None:
        raise Problem(404, f"no webhook delivery {delivery_id}")
    if row.status != DeliveryStatus.DEAD.value:
        raise Problem(409, f"delivery {delivery_id} is {row.status}, not dead")
    row.status, row.attempts, row.next_attempt_at = DeliveryStatus.PENDING.value, 0, utcnow()
    return DeliveryView.model_validate(row)
