"""Admin API: channel adapters (register, rotate secret, enable) and customers (VIP, tier)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from switchboard.intake import adapter_registry as registry
from switchboard.intake.adapters.orm import Customer
from switchboard.intake.entrypoints.dependencies import AdminDep, ServiceDep
from switchboard.servicekit.http import Problem

router = APIRouter(prefix="/v1/admin", tags=["admin"])
AdapterId = Annotated[str, Path(pattern=registry.ADAPTER_ID)]
CUSTOMER_ID = r"^[^\s\x00-\x1f\x7f]+$"  # no spaces, no control characters (nor NUL)


class AdapterState(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool


class CustomerChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vip: bool | None = None
    tier: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    region: str | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")


@router.get("/adapters")
async def list_adapters(service: ServiceDep, _: AdminDep) -> list[dict[str, Any]]:
    async with service.sessions() as session:
        return [
            view.public()
            for view in await registry.list_adapters(session=session, box=service.secret_box)
        ]


@router.post("/adapters", status_code=201)
async def register_adapter(
    spec: registry.AdapterSpec, service: ServiceDep, _: AdminDep
) -> dict[str, Any]:
    """Register an adapter; its signing secret is in this answer only."""
    try:
        async with service.sessions() as session, session.begin():
            view, secret = await registry.register_adapter(
                session=session, spec=spec, box=service.secret_box, now=datetime.now(UTC)
            )
    except registry.AdapterExists as error:
        raise Problem(409, f"adapter {spec.id!r} already exists") from error
    return view.public() | {"secret": secret}


@router.post("/adapters/{adapter_id}/rotate-secret")
async def rotate_secret(adapter_id: AdapterId, service: ServiceDep, _: AdminDep) -> dict[str, Any]:
    """A new secret; the previous one stays valid for the configured grace period."""
    try:
        async with service.sessions() as session, session.begin():
            view, secret = await registry.rotate_secret(
                session=session,
                adapter_id=adapter_id,
                box=service.secret_box,
                grace=service.settings.previous_secret_grace,
                now=datetime.now(UTC),
            )
    except registry.UnknownAdapter as error:
        raise Problem(404, f"no adapter {adapter_id!r}") from error
    service.adapters.forget(adapter_id)
    return view.public() | {"secret": secret}


@router.patch("/adapters/{adapter_id}")
async def change_adapter(
    adapter_id: AdapterId, state: AdapterState, service: ServiceDep, _: AdminDep
) -> dict[str, Any]:
    try:
        async with service.sessions() as session, session.begin():
            view = await registry.set_enabled(
                session=session,
                adapter_id=adapter_id,
                box=service.secret_box,
                enabled=state.enabled,
            )
    except registry.UnknownAdapter as error:
        raise Problem(404, f"no adapter {adapter_id!r}") from error
    service.adapters.forget(adapter_id)
    return view.public()


@router.patch("/customers/{customer_id}")
async def change_customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=64, pattern=CUSTOMER_ID)],
    changes: CustomerChanges,
    service: ServiceDep,
    _: AdminDep,
) -> dict[str, Any]:
    """Mark a customer VIP, set their tier or home region (used for their next cases)."""
    async with service.sessions() as session, session.begin():
        customer = await session.get(Customer, customer_id, with_for_update=True)
        if customer is None:
            raise Problem(404, f"no customer {customer_id!r}")
        for name, value in changes.model_dump(exclude_unset=True).items():
            setattr(customer, name, value)
        return {
            "id": customer.id,
            "vip": customer.vip,
            "tier": customer.tier,
            "region": customer.region,
        }
