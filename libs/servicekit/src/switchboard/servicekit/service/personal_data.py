"""The export endpoint every service has for what it holds of one customer (GDPR art. 15):
admins only; the erasure is asked for at the service that owns customers and arrives as an
event, so it has no endpoint here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.servicekit.http import problems
from switchboard.servicekit.service.dependencies import AdminDep, SessionDep

CustomerId = Annotated[str, Path(min_length=1, max_length=128, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
Export = Callable[[AsyncSession, str], Awaitable[dict[str, Any]]]


def export_router(service: str, export: Export) -> APIRouter:
    """``GET /v1/customers/{customer_id}/export``: ``export``'s document of the customer."""
    router = APIRouter(prefix="/v1", tags=["personal data"])

    @router.get("/customers/{customer_id}/export", responses=problems(403))
    async def export_customer(
        customer_id: CustomerId, session: SessionDep, admin: AdminDep
    ) -> dict[str, Any]:
        return await export(session, customer_id)

    export_customer.__doc__ = (
        f"Every row {service} holds of the customer, table by table (empty when none)."
    )
    return router
