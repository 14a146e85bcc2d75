"""The caller of a request, from its ``Authorization: Bearer <jwt>`` header."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from switchboard.servicekit.auth.principals import Principal
from switchboard.servicekit.auth.tokens import TokenVerifier, challenge
from switchboard.servicekit.http.documented import answers
from switchboard.servicekit.http.problems import Problem

_bearer = HTTPBearer(
    auto_error=False,
    description="A Switchboard bearer JWT: shared-secret HS256, or the single sign-on provider's.",
)
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def bearer_principal(
    verifier: Callable[[Request], TokenVerifier],
) -> Callable[[Request, HTTPAuthorizationCredentials | None], Coroutine[Any, Any, Principal]]:
    """A FastAPI dependency giving the caller's ``Principal``; 401 problem+json when the
    header is missing or malformed or the token does not verify; 503 when the single sign-on
    provider's keys are needed and cannot be fetched. ``verifier`` finds the
    service's ``TokenVerifier`` for a request (e.g. through ``request.app.state``)."""

    # async: FastAPI runs a plain ``def`` dependency in a worker thread, one hop per request;
    # 403: a route may check the caller's role, regions or agent id against what it asks
    @answers(401, 403, 503)
    async def principal(request: Request, credentials: Credentials) -> Principal:
        if credentials is None:
            raise Problem(401, "a bearer token is required", headers=challenge())
        return await verifier(request).authenticate(credentials.credentials)

    return principal
