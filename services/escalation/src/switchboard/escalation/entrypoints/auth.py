"""The caller (servicekit's bearer JWT: role and regions) and the admin API's gate."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from switchboard.servicekit.auth import Principal, Role, TokenVerifier, bearer_principal
from switchboard.servicekit.http.problems import Problem


def _tokens(request: Request) -> TokenVerifier:
    verifier: TokenVerifier = request.app.state.escalation.tokens
    return verifier


current_principal = bearer_principal(_tokens)


async def admin_principal(
    principal: Annotated[Principal, Depends(current_principal)],
) -> Principal:
    if principal.role is not Role.ADMIN:
        raise Problem(403, "this needs the admin role")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
AdminDep = Annotated[Principal, Depends(admin_principal)]
