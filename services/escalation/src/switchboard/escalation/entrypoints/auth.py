"""Bearer JWTs (HS256) carrying the caller's role and regions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request

from switchboard.escalation.domain.regions import Principal, Role
from switchboard.servicekit.http.problems import Problem

ALGORITHM = "HS256"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="switchboard-escalation"'}


class TokenVerifier:
    def __init__(self, *, secret: str, audience: str) -> None:
        self._secret = secret
        self._audience = audience

    def principal(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                options={"require": ["exp", "sub", "aud"]},
            )
            role = Role(str(claims.get("role")))
            regions = claims.get("regions", [])
            if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
                raise ValueError("regions must be a list of region codes")
        except (jwt.PyJWTError, ValueError) as error:
            raise Problem(401, f"invalid bearer token: {error}", headers=CHALLENGE) from error
        return Principal(subject=str(claims["sub"]), role=role, regions=frozenset(regions))

    def issue(
        self, *, subject: str, role: Role, regions: list[str], ttl: timedelta = timedelta(hours=1)
    ) -> str:
        """For operators' tooling and tests: a token this service accepts."""
        now = datetime.now(UTC)
        claims = {
            "sub": subject,
            "role": role.value,
            "regions": regions,
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)


def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(401, "a bearer token is required", headers=CHALLENGE)
    verifier: TokenVerifier = request.app.state.escalation.tokens
    return verifier.principal(token.strip())


def admin_principal(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.role is not Role.ADMIN:
        raise Problem(403, "this needs the admin role")
    return principal


PrincipalDep = Annotated[Principal, Depends(current_principal)]
AdminDep = Annotated[Principal, Depends(admin_principal)]
