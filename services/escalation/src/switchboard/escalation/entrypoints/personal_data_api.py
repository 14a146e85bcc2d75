"""What escalation holds of one customer, for an export (GDPR art. 15). Admins only; the
erasure is asked for at intake and arrives as an event."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path

from switchboard.escalation.service_layer import customer_erasure
from switchboard.servicekit.http import problems
from switchboard.servicekit.service.dependencies import AdminDep, SessionDep

router = APIRouter(prefix="/v1", tags=["personal data"])
CustomerId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]+$")]


@router.get("/customers/{customer_id}/export", responses=problems(403))
async def export_customer(
    customer_id: CustomerId, session: SessionDep, admin: AdminDep
) -> dict[str, Any]:
    """Every row escalation holds of the customer, table by table (empty when none)."""
    return await customer_erasure.export_customer(session, customer_id)
