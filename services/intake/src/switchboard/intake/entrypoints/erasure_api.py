"""A customer's personal data: erase it everywhere (GDPR art. 17), see how far the erasure
got, export what intake holds (art. 15). Admins only."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path

from switchboard.intake.domain.erasure import Erasure
from switchboard.intake.entrypoints.dependencies import SessionDep, UnitOfWorkDep
from switchboard.intake.service_layer import customer_erasure
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer
from switchboard.servicekit.http import Problem, problems
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1", tags=["personal data"])
CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\s\x00-\x1f\x7f]+$")]
ADMINS = "only admins erase or export a customer's data"


@router.post("/customers/{customer_id}/erasure", status_code=202, responses=problems(403, 404))
async def erase_customer(
    customer_id: CustomerId, uow: UnitOfWorkDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Intake's share is erased before the answer; the other services erase theirs when
    they read ``CustomerErasureRequested`` and confirm (see the GET)."""
    try:
        erasure = await customer_erasure.request_erasure(
            uow=uow, principal=principal, customer_id=customer_id, now=datetime.now(UTC)
        )
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {error.args[0]!r}") from error
    except NotAllowed as error:
        raise Problem(403, ADMINS) from error
    return status_of(erasure)


@router.get("/customers/{customer_id}/erasure", responses=problems(403, 404))
async def erasure_status(
    customer_id: CustomerId, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Which services confirmed the customer's erasure, and when."""
    try:
        erasure = await customer_erasure.erasure_status(session, principal, customer_id)
    except UnknownCustomer as error:
        raise Problem(404, f"no erasure of customer {error.args[0]!r}") from error
    except NotAllowed as error:
        raise Problem(403, ADMINS) from error
    return status_of(erasure)


@router.get("/customers/{customer_id}/export", responses=problems(403, 404))
async def export_customer(
    customer_id: CustomerId, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Every row intake holds of the customer, table by table."""
    try:
        return await customer_erasure.export_customer(session, principal, customer_id)
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {error.args[0]!r}") from error
    except NotAllowed as error:
        raise Problem(403, ADMINS) from error


@router.get("/personal-keys/{customer_id}", responses=problems(403, 404, 410))
async def personal_key(
    customer_id: CustomerId, uow: UnitOfWorkDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The customer's data key, for the services that open or seal their personal fields
    in events (``sealed``); gone (410) once the customer is erased."""
    try:
        key = await customer_erasure.data_key(uow=uow, principal=principal, customer_id=customer_id)
    except customer_erasure.Erased as error:
        raise Problem(410, f"customer {error.args[0]!r} was erased") from error
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {error.args[0]!r}") from error
    except NotAllowed as error:
        raise Problem(403, "only services read data keys (admin, subject service:…)") from error
    return {"key_id": customer_id, "key": base64.b64encode(key).decode()}


def status_of(erasure: Erasure) -> dict[str, Any]:
    return {
        "erasure_id": erasure.erasure_id,
        "customer_id": erasure.customer_id,
        "requested_at": erasure.requested_at,
        "requested_by": erasure.requested_by,
        "confirmed": dict(erasure.confirmations),
        "pending": list(erasure.pending),
        "complete": erasure.complete,
    }
