"""Typed FastAPI dependencies shared by intake's routers.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread, a thread
hop per request that costs far more than these functions themselves."""

from __future__ import annotations

from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from switchboard.intake.bootstrap import IntakeService
from switchboard.servicekit.http import Problem


async def get_service(request: Request) -> IntakeService:
    service: IntakeService = request.app.state.intake
    return service


ServiceDep = Annotated[IntakeService, Depends(get_service)]
_bearer = HTTPBearer(auto_error=False)


async def require_admin(
    service: ServiceDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> dict[str, object]:
    """A bearer JWT (HS256) whose ``role`` is ``admin``."""
    challenge = {"WWW-Authenticate": 'Bearer realm="switchboard-intake-admin"'}
    if credentials is None:
        raise Problem(401, "an admin bearer token is required", headers=challenge)
    try:
        claims: dict[str, object] = jwt.decode(
            credentials.credentials,
            service.settings.admin_jwt_secret,
            algorithms=["HS256"],
            options={"require": ["exp", "sub"]},
        )
    except jwt.InvalidTokenError as error:
        raise Problem(401, f"invalid token: {error}", headers=challenge) from error
    if claims.get("role") != "admin":
        raise Problem(403, "this needs the admin role")
    return claims


AdminDep = Annotated[dict[str, object], Depends(require_admin)]
