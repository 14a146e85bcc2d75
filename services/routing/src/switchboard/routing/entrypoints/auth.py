"""Bearer JWTs (HS256): ``sub`` is the agent id, ``role`` is ``agent`` or ``admin``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from switchboard.servicekit.http import Problem

ROLES = {"agent", "admin"}
bearer = HTTPBearer(auto_error=False)


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def issue_token(
    *, secret: str, subject: str, role: str, audience: str = "switchboard", ttl: int = 3600
) -> str:
    now = datetime.now(UTC)
    claims = {
        "sub": subject,
        "role": role,
        "aud": audience,
        "iat": now,
        "exp": now + timedelta(seconds=ttl),
    }
    return jwt.encode(claims, secret, algorithm="HS256")


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Principal:
    unauthorized = {"WWW-Authenticate": "Bearer"}
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise Problem(401, "a bearer token is required", headers=unauthorized)
    settings = request.app.state.routing.settings
    try:
        claims = jwt.decode(
            credentials.credentials,
            settings.jwt_secret,
            algorithms=["HS256"],
            audience=settings.jwt_audience,
            options={"require": ["sub", "exp", "role"]},
        )
    except jwt.PyJWTError as error:
        raise Problem(401, f"invalid token: {error}", headers=unauthorized) from error
    if claims["role"] not in ROLES:
        raise Problem(403, f"role {claims['role']!r} may not use routing")
    return Principal(subject=str(claims["sub"]), role=str(claims["role"]))


PrincipalDep = Annotated[Principal, Depends(principal)]


def require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise Problem(403, "this needs the admin role")


def acting_agent(who: Principal, agent_id: str) -> None:
    """Agents act for themselves; an admin may act for anyone."""
    if not who.is_admin and who.subject != agent_id:
        raise Problem(403, "agents may act only for themselves")
