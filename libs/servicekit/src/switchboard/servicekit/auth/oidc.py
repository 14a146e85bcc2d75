"""Single sign-on: bearer JWTs from an OpenID Connect provider, verified against its JWKS
(RS256/ES256...), issuer, audience and expiry checked, the caller's subject, role and
regions read from configurable claims."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt import PyJWK

from switchboard.servicekit.auth.principals import Principal, Role
from switchboard.servicekit.auth.provider_keys import Discovery, MustFetch, ProviderKeys, UnknownKey

ASYMMETRIC_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)
RANK = {Role.ADMIN: 3, Role.COORDINATOR: 2, Role.AGENT: 1}
# RFC 9068 section 2.1: a JWT access token's header says typ "at+jwt".
ACCESS_TOKEN_TYPES = frozenset({"at+jwt", "application/at+jwt"})
# What an untyped JWT may say (RFC 7519 section 5.1); any other type is another kind of
# token (RFC 8725 section 3.11: explicit typing), e.g. "logout+jwt" or "dpop+jwt".
UNTYPED = frozenset({"jwt", "application/jwt"})
# Claims OpenID Connect Core defines for the ID token alone (sections 2, 3.1.3.6, 3.3.2.11):
# an ID token proves a login to the client, it grants nothing at an API.
ID_TOKEN_CLAIMS = ("nonce", "at_hash", "c_hash")
_ROLES = {role.value: role for role in Role}


class Refused(ValueError):
    """The token does not verify (a 401)."""


class NoSwitchboardRole(Exception):
    """The token verifies but carries no Switchboard role (a 403)."""


class KeyNotCached(Exception):
    """Verifying needs a fetch from the provider: retry with ``fetch=True`` off the loop."""


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    audience: str
    jwks_url: str | None = None
    """None: the ``jwks_uri`` of the issuer's discovery document."""
    algorithms: tuple[str, ...] = ("RS256", "ES256")
    subject_claim: str = "sub"
    roles_claim: str = "roles"
    regions_claim: str = "regions"
    role_names: Mapping[str, Role] = field(default_factory=dict)
    """Provider role names to Switchboard roles; ``admin``, ``coordinator`` and ``agent``
    count as themselves."""
    leeway_seconds: float = 30.0
    jwks_ttl_seconds: float = 300.0
    jwks_max_stale_seconds: float = 3600.0
    """How long past its ttl the last key set still verifies while the provider is down."""
    jwks_refetch_seconds: float = 30.0
    http_timeout_seconds: float = 5.0
    require_access_token_type: bool = False
    """Only tokens typed ``at+jwt`` (RFC 9068), for providers that issue them."""


class OidcVerifier:
    def __init__(self, config: OidcConfig) -> None:
        self.config = config
        self._discovery = Discovery(
            config.issuer,
            cooldown=config.jwks_refetch_seconds,
            timeout=config.http_timeout_seconds,
        )
        self._keys: ProviderKeys | None = None

    @property
    def issuer(self) -> str:
        return self.config.issuer

    def principal(self, token: str, *, fetch: bool = True) -> Principal:
        """The caller; ``Refused`` (401), ``NoSwitchboardRole`` (403), ``ProviderUnavailable``
        (503), or ``KeyNotCached`` without ``fetch``."""
        header, unverified = _unverified(token)
        algorithm = header.get("alg")
        if algorithm not in self.config.algorithms:
            raise Refused(self._bad_algorithm(algorithm, unverified))
        if unverified.get("iss") != self.issuer:
            raise Refused(f"issuer {unverified.get('iss')!r} is not {self.issuer!r}")
        self._refuse_other_token_kinds(header, unverified)
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise Refused("the token names no signing key (kid)")
        claims = self._decode(token, self._key(kid, fetch))
        return principal_from_claims(claims, self.config)

    def _refuse_other_token_kinds(self, header: dict[str, Any], claims: dict[str, Any]) -> None:
        """An access token only: not an ID token (which the provider gives the client, with
        the client id as audience) nor another typed JWT."""
        kind = header.get("typ")
        kind = kind.lower() if isinstance(kind, str) else kind
        if self.config.require_access_token_type and kind not in ACCESS_TOKEN_TYPES:
            raise Refused(f"not an access token: typ {header.get('typ')!r}, not 'at+jwt'")
        if kind is not None and kind not in ACCESS_TOKEN_TYPES | UNTYPED:
            raise Refused(f"not an access token: typ {header.get('typ')!r}")
        carried = [name for name in ID_TOKEN_CLAIMS if name in claims]
        if carried:
            raise Refused(f"an ID token is not an access token (it carries {', '.join(carried)})")

    def _bad_algorithm(self, algorithm: object, unverified: dict[str, Any]) -> str:
        allowed = ", ".join(self.config.algorithms)
        if isinstance(algorithm, str) and algorithm.startswith("HS"):
            if unverified.get("iss") == self.issuer:
                return (
                    f"a {algorithm} token may not claim the single sign-on issuer: the "
                    f"provider signs with its own keys ({allowed})"
                )
            return f"shared-secret ({algorithm}) tokens are not accepted: only {allowed}"
        return f"algorithm {algorithm!r} is not allowed: only {allowed}"

    def _key(self, kid: str, fetch: bool) -> PyJWK:
        if self._keys is None:
            if not fetch:
                raise KeyNotCached(kid)
            config = self.config
            self._keys = ProviderKeys(
                config.jwks_url or self._discovery.resolve(),
                ttl=config.jwks_ttl_seconds,
                max_stale=config.jwks_max_stale_seconds,
                cooldown=config.jwks_refetch_seconds,
                timeout=config.http_timeout_seconds,
            )
        try:
            return self._keys.key(kid, fetch=fetch)
        except MustFetch:
            raise KeyNotCached(kid) from None
        except UnknownKey as error:
            raise Refused(f"signed by an unknown key: {kid!r} is not in the provider's keys") from (
                error
            )

    def _decode(self, token: str, key: PyJWK) -> dict[str, Any]:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=list(self.config.algorithms),
                audience=self.config.audience,
                issuer=self.issuer,
                leeway=self.config.leeway_seconds,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError as error:
            raise Refused(str(error)) from error
        return claims


def _unverified(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        header = jwt.get_unverified_header(token)
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise Refused(str(error)) from error
    return header, claims


def claim(claims: Mapping[str, Any], path: str) -> Any:
    """The value at a dotted ``path`` (``realm_access.roles``), or None. A claim whose own
    name has a dot (``https://example.org/roles``) is found whole first."""
    if path in claims:
        return claims[path]
    value: Any = claims
    for part in path.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value


def _strings(value: Any, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return value.split()  # a space-separated list, as ``scope`` is
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return value
    raise Refused(f"claim {name!r} must be a list of strings")


def best_role(names: Iterable[str], role_names: Mapping[str, Role]) -> Role | None:
    """The most powerful Switchboard role among the provider's role ``names``: through
    ``role_names`` alone when it is given (a provider's own "admin" role, meant for another
    application, must not make a Switchboard admin), else Switchboard's own role names."""
    table: Mapping[str, Role] = role_names or _ROLES
    roles = [table.get(name) for name in names]
    known = [role for role in roles if role is not None]
    return max(known, key=RANK.__getitem__) if known else None


def principal_from_claims(claims: Mapping[str, Any], config: OidcConfig) -> Principal:
    subject = claim(claims, config.subject_claim)
    if not isinstance(subject, str) or not subject:
        raise Refused(f"claim {config.subject_claim!r} must be a non-empty string")
    names = _strings(claim(claims, config.roles_claim), config.roles_claim)
    role = best_role(names, config.role_names)
    if role is None:
        raise NoSwitchboardRole(
            f"the token's {config.roles_claim!r} claim holds no Switchboard role "
            f"({', '.join(Role)})"
        )
    regions = _strings(claim(claims, config.regions_claim), config.regions_claim)
    return Principal(subject=subject, role=role, regions=frozenset(regions))
