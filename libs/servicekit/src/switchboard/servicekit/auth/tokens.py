"""HS256 bearer JWTs, one scheme for every service: ``sub``, ``role``, ``regions``, ``aud``,
``exp`` (and ``iat``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from switchboard.servicekit.auth.principals import Principal, Role
from switchboard.servicekit.http.problems import Problem

REALM = "switchboard"
REQUIRED_CLAIMS = ["exp", "sub", "aud", "role"]


def challenge(error: str | None = None) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 (RFC 6750)."""
    value = f'Bearer realm="{REALM}"'
    return {"WWW-Authenticate": f'{value}, error="{error}"' if error else value}


class TokenVerifier:
    """Turns a bearer token into a ``Principal``, or into a 401 problem that says why not."""

    def __init__(self, secret: str, audience: str, algorithm: str = "HS256") -> None:
        self._secret = secret
        self._audience = audience
        self._algorithm = algorithm

    def principal(self, token: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[self._algorithm],
                audience=self._audience,
                options={"require": REQUIRED_CLAIMS},
            )
            return _principal_of(claims)
        except (jwt.PyJWTError, ValueError) as error:
            raise Problem(
                401, f"invalid bearer token: {error}", headers=challenge("invalid_token")
            ) from error

    def issue(
        self,
        *,
        subject: str,
        role: Role | str,
        regions: Iterable[str] = (),
        ttl: timedelta = timedelta(hours=1),
    ) -> str:
        """A token this verifier accepts, for operators' tooling and tests."""
        now = datetime.now(UTC)
        claims = {
            "sub": subject,
            "role": Role(role).value,
            "regions": list(regions),
            "aud": self._audience,
            "iat": now,
            "exp": now + ttl,
        }
        return jwt.encode(claims, self._secret, algorithm=self._algorithm)


def _principal_of(claims: dict[str, Any]) -> Principal:
    try:
        role = Role(claims["role"])
    except ValueError:
        known = ", ".join(Role)
        raise ValueError(f"role must be one of {known}, not {claims['role']!r}") from None
    regions = claims.get("regions", [])
    if not isinstance(regions, list) or not all(isinstance(r, str) for r in regions):
        raise ValueError("regions must be a list of strings")
    subject = claims["sub"]
    if not isinstance(subject, str) or not subject:
        raise ValueError("sub must be a non-empty string")
    return Principal(subject=subject, role=role, regions=frozenset(regions))
