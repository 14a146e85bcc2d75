"""Bearer JWTs for KPI reads: who the caller is, and which regions they may see."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import jwt

from switchboard.feedback.domain.rollups import ALL_REGIONS
from switchboard.servicekit.http import Problem

BEARER = "Bearer"
CHALLENGE = {"WWW-Authenticate": BEARER}


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    AGENT = "agent"


@dataclass(frozen=True)
class Principal:
    subject: str
    role: Role
    regions: frozenset[str]


def principal_from(
    authorization: str | None, *, secret: str, algorithm: str, audience: str | None
) -> Principal:
    """The caller of an ``Authorization: Bearer <jwt>`` header, or a 401 problem."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != BEARER.lower() or not token:
        raise Problem(401, "a bearer token is required", headers=CHALLENGE)
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            audience=audience,
            options={"require": ["exp", "sub"], "verify_aud": audience is not None},
        )
        role = Role(claims.get("role", ""))
        regions = claims.get("regions", [])
        if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
            raise ValueError("regions must be a list of region codes")
    except (jwt.PyJWTError, ValueError) as error:
        raise Problem(401, f"invalid bearer token: {error}", headers=CHALLENGE) from error
    return Principal(subject=str(claims["sub"]), role=role, regions=frozenset(regions))


def authorize_kpi_read(principal: Principal, *, region: str, agent_id: str | None) -> None:
    """Admins read everything; coordinators their regions; agents their own numbers."""
    if principal.role is Role.ADMIN:
        return
    if region == ALL_REGIONS or region not in principal.regions:
        raise Problem(403, f"your token does not cover region {region!r}")
    if principal.role is Role.AGENT and agent_id != principal.subject:
        raise Problem(403, "agents may read only their own KPIs (agent=<your id>)")
