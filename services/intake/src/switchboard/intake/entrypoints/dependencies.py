"""Typed FastAPI dependencies shared by intake's routers.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread, a thread
hop per request that costs far more than these functions themselves."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from switchboard.intake.bootstrap import IntakeService
from switchboard.servicekit.auth import Principal, Role, TokenVerifier, bearer_principal
from switchboard.servicekit.http import Problem


async def get_service(request: Request) -> IntakeService:
    service: IntakeService = request.app.state.intake
    return service


ServiceDep = Annotated[IntakeService, Depends(get_service)]


def _tokens(request: Request) -> TokenVerifier:
    service: IntakeService = request.app.state.intake
    return service.settings.token_verifier()


async def require_admin(
    principal: Annotated[Principal, Depends(bearer_principal(_tokens))],
) -> Principal:
    """The caller's bearer JWT must carry the ``admin`` role."""
    if principal.role is not Role.ADMIN:
        raise Problem(403, "this needs the admin role")
    return principal


AdminDep = Annotated[Principal, Depends(require_admin)]
