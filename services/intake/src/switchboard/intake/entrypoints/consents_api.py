"""A customer's consents (may we send them satisfaction surveys, marketing): the current state
per purpose with its history, and recording a change. Open to whoever may read the
customer's record."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from switchboard.intake.domain.consents import (
    ConsentSource,
    ConsentState,
    InvalidConsent,
    Purpose,
)
from switchboard.intake.entrypoints.dependencies import SessionDep, UnitOfWorkDep
from switchboard.intake.service_layer import consents
from switchboard.intake.service_layer.consents import ImportIsAdmins
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer
from switchboard.servicekit.http import Problem
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1/customers", tags=["customers"])
CUSTOMER_ID = r"^[^\s\x00-\x1f\x7f]+$"
CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=CUSTOMER_ID)]
FORBIDDEN = "not a customer of your regions or of a case you hold"
IMPORT_IS_ADMINS = "consents imported from another system (source import) are an admin's to record"


class ConsentChangeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    purpose: Purpose
    state: ConsentState
    source: ConsentSource
    """How the customer expressed it: told an ``agent``, their own action (``customer``), or
    brought over from another system (``import``)."""
    note: Annotated[str, Field(min_length=1, max_length=1000)] | None = None
    at: AwareDatetime | None = None
    """When the customer expressed it, if not now (not in the future)."""

    @field_validator("note")
    @classmethod
    def _readable(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or "\x00" in value):
            raise ValueError("a note needs some text and holds no NUL character")
        return value


@router.get("/{customer_id}/consents")
async def customer_consents(
    customer_id: CustomerId, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """The current state of each purpose (null: never recorded) and the changes, newest
    first."""
    try:
        found = await consents.read_consents(session, principal, customer_id)
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {customer_id!r}") from error
    except NotAllowed as error:
        raise Problem(403, FORBIDDEN) from error
    return asdict(found)


@router.post("/{customer_id}/consents", status_code=201)
async def record_consent(
    customer_id: CustomerId,
    change: ConsentChangeRequest,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """Appends a change (the caller records it); the answer is the consents with it."""
    try:
        recorded = await consents.record_consent(
            uow.session,
            principal,
            customer_id,
            purpose=change.purpose,
            state=change.state,
            source=change.source,
            note=change.note,
            at=change.at,
            now=datetime.now(UTC),
        )
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {customer_id!r}") from error
    except NotAllowed as error:
        detail = IMPORT_IS_ADMINS if isinstance(error, ImportIsAdmins) else FORBIDDEN
        raise Problem(403, detail) from error
    except InvalidConsent as error:
        raise Problem(422, str(error)) from error
    return asdict(recorded)
