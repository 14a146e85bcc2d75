"""Admin API for customers: VIP, tier, home region (used for their next cases)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field, StrictBool

from switchboard.intake.entrypoints.dependencies import AdminDep, UnitOfWorkDep
from switchboard.intake.service_layer import customers
from switchboard.intake.service_layer.customers import UnknownCustomer
from switchboard.servicekit.http import Problem

router = APIRouter(prefix="/v1/admin", tags=["admin"])
CUSTOMER_ID = r"^[^\s\x00-\x1f\x7f]+$"  # no spaces, no control characters (nor NUL)


class CustomerChanges(BaseModel):
    model_config = ConfigDict(extra="forbid")
    vip: StrictBool | None = None
    tier: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    region: str | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")


@router.patch("/customers/{customer_id}")
async def change_customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=64, pattern=CUSTOMER_ID)],
    changes: CustomerChanges,
    uow: UnitOfWorkDep,
    _: AdminDep,
) -> dict[str, Any]:
    """Mark a customer VIP, set their tier or home region (used for their next cases)."""
    try:
        customer = await customers.change_customer(
            session=uow.session,
            customer_id=customer_id,
            changes=changes.model_dump(exclude_unset=True),
        )
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {customer_id!r}") from error
    return {
        "id": customer.id,
        "vip": customer.vip,
        "tier": customer.tier,
        "region": customer.region,
    }
