"""The routing policy document (admins)."""

from __future__ import annotations

from fastapi import APIRouter

from switchboard.routing.adapters.orm import PolicyDocumentRow
from switchboard.routing.domain.policy import PolicyError
from switchboard.routing.entrypoints.dependencies import (
    PrincipalDep,
    RoutingUnitOfWorkDep,
    SessionDep,
)
from switchboard.routing.entrypoints.schemas import PolicyDocument
from switchboard.routing.service_layer import policies
from switchboard.servicekit.http import Problem
from switchboard.servicekit.service.dependencies import require_admin

router = APIRouter(prefix="/v1", tags=["policies"])


@router.get("/policies", response_model=PolicyDocument)
async def read_policies(who: PrincipalDep, session: SessionDep) -> PolicyDocument:
    await require_admin(who)
    row = await session.get(PolicyDocumentRow, 1)
    return PolicyDocument(policies=row.document.get("policies", []) if row else [])


@router.put("/policies", response_model=PolicyDocument)
async def replace_policies(
    document: PolicyDocument, who: PrincipalDep, uow: RoutingUnitOfWorkDep
) -> PolicyDocument:
    """Validate and store the policy document; every replica picks it up on its next sync."""
    await require_admin(who)  # once the request is valid: a bad document is a 422 for anyone
    raw = document.model_dump(mode="json")
    try:
        await policies.replace_policies(uow=uow, document=raw)
    except PolicyError as error:
        raise Problem(
            422, str(error), title="Invalid policy", where=error.where, column=error.column
        ) from error
    return PolicyDocument(policies=raw["policies"])
