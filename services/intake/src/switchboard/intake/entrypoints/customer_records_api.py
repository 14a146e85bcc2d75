"""Customer records: look a customer up by any identity, read their record and case history,
add a note. Admins, coordinators of the customer's regions, and the agent holding one of
their cases may read; coordinators and admins may add notes."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from switchboard.intake.domain.identity import IdentityKind, InvalidIdentity, identity_of
from switchboard.intake.entrypoints.dependencies import SessionDep, UnitOfWorkDep
from switchboard.intake.service_layer import customer_records
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_records import UnknownCustomer
from switchboard.servicekit.http import Problem, problems
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1/customers", tags=["customers"])
CUSTOMER_ID = r"^[^\s\x00-\x1f\x7f]+$"
CustomerId = Annotated[str, Path(min_length=1, max_length=64, pattern=CUSTOMER_ID)]
IdentityValue = Annotated[str | None, Query(min_length=1, max_length=600)]


NOTE_TEXT = (
    r"^[^\x00]*[^\x00\t-\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
    r"[^\x00]*$"
)
"""What the validator checks, for the schema: no NUL, and one character that is not
whitespace (Python's, which ECMA's and Rust's \\s each spell differently)."""


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=4000, json_schema_extra={"pattern": NOTE_TEXT})

    @field_validator("text")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("a note needs some text")
        if "\x00" in value:
            raise ValueError("a note holds no NUL character")
        return value


@router.get(
    "",
    responses=problems(404, reasons={400: "Not exactly one of email, phone, social, chat_visitor"}),
)
async def find_customer(
    session: SessionDep,
    principal: PrincipalDep,
    email: IdentityValue = None,
    phone: IdentityValue = None,
    social: IdentityValue = None,
    chat_visitor: IdentityValue = None,
) -> dict[str, Any]:
    """The record of the customer with this identity: exactly one of ``email``, ``phone``
    (E.164, with its +), ``social`` (``platform:handle``) or ``chat_visitor``."""
    given = {
        kind: value
        for kind, value in (
            (IdentityKind.EMAIL, email),
            (IdentityKind.PHONE, phone),
            (IdentityKind.SOCIAL, social),
            (IdentityKind.CHAT_VISITOR, chat_visitor),
        )
        if value is not None
    }
    if len(given) != 1:
        raise Problem(400, "give exactly one of email, phone, social or chat_visitor")
    [(kind, raw)] = given.items()
    try:
        identity = identity_of(kind, raw)
    except InvalidIdentity as error:
        raise Problem(400, str(error)) from error
    try:
        customer_id = await customer_records.customer_of(session, identity)
    except UnknownCustomer as error:
        raise Problem(404, f"no customer with {kind.value} {raw!r}") from error
    return await customer_record(customer_id, session, principal)


@router.get("/{customer_id}")
async def customer_record(
    customer_id: CustomerId, session: SessionDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Identities, language, tier and VIP, the 50 latest cases (state, channel, dates, how
    each was resolved, who holds it), and notes, newest first."""
    try:
        record = await customer_records.read_record(session, principal, customer_id)
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {customer_id!r}") from error
    except NotAllowed as error:
        raise Problem(403, "not a customer of your regions or of a case you hold") from error
    return asdict(record)


@router.post("/{customer_id}/notes", status_code=201)
async def add_note(
    customer_id: CustomerId, note: NewNote, uow: UnitOfWorkDep, principal: PrincipalDep
) -> dict[str, Any]:
    try:
        added = await customer_records.add_note(
            uow.session, principal, customer_id, note.text, at=datetime.now(UTC)
        )
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {customer_id!r}") from error
    except NotAllowed as error:
        raise Problem(403, "coordinators of the customer's regions and admins add notes") from error
    return asdict(added)
