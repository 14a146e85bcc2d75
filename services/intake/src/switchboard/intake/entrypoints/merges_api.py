"""Merging customer records: merge one into another, the proposals intake made when a
contact's identities led to two customers, dismissing one."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from switchboard.intake.entrypoints.dependencies import SessionDep, UnitOfWorkDep
from switchboard.intake.service_layer import customer_merges, customer_records, merge_proposals
from switchboard.intake.service_layer.conversations import NotAllowed
from switchboard.intake.service_layer.customer_merges import CannotMerge
from switchboard.intake.service_layer.customer_records import UnknownCustomer
from switchboard.servicekit.http import Problem, problems
from switchboard.servicekit.service.dependencies import PrincipalDep

router = APIRouter(prefix="/v1", tags=["customers"])
CUSTOMER_ID = r"^[^\s\x00-\x1f\x7f]+$"
CustomerIdText = Annotated[str, Field(min_length=1, max_length=64, pattern=CUSTOMER_ID)]
FORBIDDEN = "coordinators who may read both customers, and admins, merge them"


class MergeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    merged_id: CustomerIdText
    """The record that goes into this one."""


class ProposalPair(BaseModel):
    model_config = ConfigDict(extra="forbid")
    customer_ids: Annotated[list[CustomerIdText], Field(min_length=2, max_length=2)]


@router.post(
    "/customers/{customer_id}/merge",
    responses=problems(reasons={409: "The merge cannot be done (into itself, already merged)"}),
)
async def merge_customer(
    customer_id: Annotated[str, Path(min_length=1, max_length=64, pattern=CUSTOMER_ID)],
    request: MergeRequest,
    uow: UnitOfWorkDep,
    principal: PrincipalDep,
) -> dict[str, Any]:
    """``merged_id``'s identities, cases and notes become this customer's; its id keeps
    leading here; ``CustomerMerged`` is published. The survivor's record is the answer."""
    try:
        await customer_merges.merge_customers(
            uow=uow,
            principal=principal,
            survivor_id=customer_id,
            merged_id=request.merged_id,
            now=datetime.now(UTC),
        )
        await uow.session.flush()
        record = await customer_records.read_record(uow.session, principal, customer_id)
    except UnknownCustomer as error:
        raise Problem(404, f"no customer {error.args[0]!r}") from error
    except NotAllowed as error:
        raise Problem(403, FORBIDDEN) from error
    except CannotMerge as error:
        raise Problem(409, str(error)) from error
    return asdict(record)


@router.get("/customer-merge-proposals")
async def list_proposals(session: SessionDep, principal: PrincipalDep) -> list[dict[str, Any]]:
    """Open proposals, newest first: pairs of customers one contact's identities led to."""
    try:
        rows = await merge_proposals.open_proposals(session, principal)
    except NotAllowed as error:
        raise Problem(403, "coordinators and admins see merge proposals") from error
    return [
        {
            "customer_ids": [row.first_id, row.second_id],
            "contact_id": row.contact_id,
            "proposed_at": row.proposed_at,
            "status": row.status,
        }
        for row in rows
    ]


@router.post("/customer-merge-proposals/dismiss", responses=problems(404))
async def dismiss_proposal(
    pair: ProposalPair, uow: UnitOfWorkDep, principal: PrincipalDep
) -> dict[str, Any]:
    """Not one person after all: the proposal is closed (a later contact does not reopen it)."""
    first, second = pair.customer_ids
    try:
        row = await merge_proposals.dismiss(uow.session, principal, first, second)
    except UnknownCustomer as error:
        raise Problem(404, "no such proposal") from error
    except NotAllowed as error:
        raise Problem(403, FORBIDDEN) from error
    return {"customer_ids": [row.first_id, row.second_id], "status": row.status}
