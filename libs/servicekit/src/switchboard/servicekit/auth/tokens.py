"""Bearer JWTs, one scheme for every service: shared-secret HS256 tokens (``sub``, ``role``,
``regions``, ``aud``, ``exp``, and ``iat``: development, tooling) and, when configured,
single sign-on tokens from an OpenID Connect provider (``oidc``)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from starlette.concurrency import run_in_threadpool

from switchboard.servicekit.auth.oidc import KeyNotCached, NoSwitchboardRole, OidcVerifier, Refused
from switchboard.servicekit.auth.principals import SERVICE_SUBJECT, Principal, Role
from switchboard.servicekit.auth.provider_keys import ProviderUnavailable
from switchboard.servicekit.http.problems import Problem

REALM = "switchboard"
REQUIRED_CLAIMS = ["exp", "sub", "aud", "role"]


def challenge(error: str | None = None) -> dict[str, str]:
    """The ``WWW-Authenticate`` header of a 401 (RFC 6750)."""
    value = f'Bearer realm="{REALM}"'
    return {"WWW-Authenticate": f'{value}, error="{error}"' if error else value}


class TokenVerifier:
    """Turns a bearer token into a ``Principal``, or into a 401 problem that says why not."""

    def __init__(
        self,
        secret: str,
        audience: str,
        algorithm: str = "HS256",
        *,
        oidc: OidcVerifier | None = None,
        shared_secret: bool = True,
        service_secret: str | None = None,
    ) -> None:
        """``oidc``: also accept the provider's tokens; ``shared_secret=False``: only those.
        ``service_secret``: the tokens services send each other (subject ``service:<name>``)
        are verified with it, not with ``secret``, and accepted also when only the
        provider's are (a provider's token never names a service)."""
        self._secret = secret
        self._audience = audience
        self._algorithm = algorithm
        self._oidc = oidc
        self._shared_secret = shared_secret or oidc is None
        self._service_secret = service_secret

    def principal(self, token: str, *, fetch: bool = True) -> Principal:
        """The caller, or a 401 problem (403: a single sign-on token without a Switchboard
        role; 503: the provider's keys cannot be fetched). May fetch the provider's keys
        (blocking) unless ``fetch`` is false: then ``KeyNotCached`` when it would."""
        unread = _unverified(token) if self._service_secret or self._oidc else None
        if self._service_secret is not None and self._names_a_service(unread):
            return self._signed_principal(token, self._service_secret)
        if self._oidc is not None and self._is_single_sign_on(unread):
            return _single_sign_on(self._oidc, token, fetch)
        return self._shared_secret_principal(token)

    def _names_a_service(self, unread: tuple[object, dict[str, Any]] | None) -> bool:
        if unread is None:
            return False
        algorithm, claims = unread
        return algorithm == self._algorithm and str(claims.get("sub")).startswith(SERVICE_SUBJECT)

    async def authenticate(self, token: str) -> Principal:
        """``principal()`` for a request: a fetch from the provider runs in a worker thread."""
        try:
            return self.principal(token, fetch=False)
        except KeyNotCached:
            return await run_in_threadpool(self.principal, token, fetch=True)

    def _is_single_sign_on(self, unread: tuple[object, dict[str, Any]] | None) -> bool:
        """Everything but a shared-secret token not claiming the provider's issuer goes to
        the provider's check (which refuses HS256 tokens claiming its issuer, and ``none``)."""
        if not self._shared_secret:
            return True
        if unread is None:
            return False  # the shared-secret check says what is wrong with it
        assert self._oidc is not None
        algorithm, claims = unread
        return algorithm != self._algorithm or claims.get("iss") == self._oidc.issuer

    def _shared_secret_principal(self, token: str) -> Principal:
        return self._signed_principal(token, self._secret)

    def _signed_principal(self, token: str, secret: str) -> Principal:
        try:
            claims = jwt.decode(
                token,
                secret,
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


def _unverified(token: str) -> tuple[object, dict[str, Any]] | None:
    """The token's algorithm and claims, read once before any signature is checked (they
    only choose the check); None when it is no JWT at all."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return None
    return algorithm, claims


def _single_sign_on(oidc: OidcVerifier, token: str, fetch: bool) -> Principal:
    try:
        return oidc.principal(token, fetch=fetch)
    except Refused as error:
        raise Problem(
            401, f"invalid bearer token: {error}", headers=challenge("invalid_token")
        ) from error
    except NoSwitchboardRole as error:
        raise Problem(403, str(error), headers=challenge("insufficient_scope")) from error
    except ProviderUnavailable as error:
        raise Problem(
            503,
            f"cannot verify the single sign-on token: {error}",
            headers={"Retry-After": str(error.retry_after)},
        ) from error


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
    return Principal(subject=subject, role=role, regions=frozenset(regions), platform_signed=True)
