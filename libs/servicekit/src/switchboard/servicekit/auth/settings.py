"""The bearer-token settings every service shares: same names, same dev default, same
production check."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode

from switchboard.servicekit.auth.oidc import (
    ASYMMETRIC_ALGORITHMS,
    OidcConfig,
    OidcVerifier,
)
from switchboard.servicekit.auth.principals import SERVICE_SUBJECT, Role
from switchboard.servicekit.auth.tokens import TokenVerifier
from switchboard.servicekit.settings import ServiceSettings, refuse_placeholder

DEV_JWT_SECRET = "dev-only-switchboard-jwt-secret-never-use-in-production"
"""The same in every service, so one dev token works everywhere; refused in production."""
MIN_SECRET_BYTES = 32  # an HS256 key no shorter than the hash (RFC 7518 §3.2)


class BearerServiceSettings(ServiceSettings):
    """``ServiceSettings`` plus ``jwt_secret`` and ``jwt_audience``, and the single sign-on
    ``oidc_*`` settings; subclass with your env prefix (``SWITCHBOARD_<SERVICE>_JWT_SECRET``,
    ``…_OIDC_ISSUER``...)."""

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_audience: str = Field(default="switchboard", min_length=1)
    oidc_issuer: str | None = None
    """The OpenID Connect provider whose tokens are accepted (its ``iss``); unset: none."""
    oidc_jwks_url: str | None = None
    """Its key set; unset: the ``jwks_uri`` of ``<issuer>/.well-known/openid-configuration``."""
    oidc_audience: str | None = None
    """The ``aud`` its tokens must carry (the client id); unset: ``jwt_audience``."""
    oidc_algorithms: Annotated[tuple[str, ...], NoDecode] = ("RS256", "ES256")
    oidc_subject_claim: str = Field(default="sub", min_length=1)
    """The claim naming the caller (an agent's id); a dotted path reads a nested claim."""
    oidc_roles_claim: str = Field(default="roles", min_length=1)
    """E.g. ``realm_access.roles``: a list (or space-separated string) of role names."""
    oidc_regions_claim: str = Field(default="regions", min_length=1)
    oidc_role_names: dict[str, Role] = Field(default_factory=dict)
    """Provider role names to Switchboard roles (``{"sb-admins": "admin"}``); ``admin``,
    ``coordinator`` and ``agent`` count as themselves. The most powerful one wins."""
    oidc_leeway_seconds: float = Field(default=30.0, ge=0.0, le=300.0)
    oidc_jwks_ttl_seconds: float = Field(default=300.0, gt=0.0)
    oidc_jwks_max_stale_seconds: float = Field(default=3600.0, ge=0.0)
    """How long past its ttl the last key set still verifies while the provider is down
    (it is refreshed in the background meanwhile); then a 503 with Retry-After."""
    oidc_jwks_refetch_seconds: float = Field(default=30.0, ge=0.0)
    """Least time between two fetches for an unknown key id, or after a failed fetch."""
    oidc_http_timeout_seconds: float = Field(default=5.0, gt=0.0)
    oidc_require_access_token_type: bool = False
    """Only tokens whose header says ``typ: at+jwt`` (RFC 9068), when the provider issues
    them. Without it, ID tokens are still refused (their nonce, at_hash or c_hash claim)."""
    oidc_only: bool = False
    """Refuse shared-secret (HS256) tokens: only the provider's."""
    service_token_secret: SecretStr | None = None
    """What the tokens services send each other (a data key asked of intake) are signed and
    verified with, the same in every service; needed with ``oidc_only`` (where
    ``jwt_secret`` verifies nothing). Unset: ``jwt_secret``."""

    @field_validator("oidc_algorithms", mode="before")
    @classmethod
    def _algorithms_from_text(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                return json.loads(text)
            return [name.strip() for name in text.split(",") if name.strip()]
        return value

    @field_validator("oidc_algorithms")
    @classmethod
    def _asymmetric_algorithms(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        wrong = [name for name in value if name not in ASYMMETRIC_ALGORITHMS]
        if wrong or not value:
            allowed = ", ".join(sorted(ASYMMETRIC_ALGORITHMS))
            raise ValueError(f"oidc_algorithms must be some of {allowed}, not {wrong}")
        return value

    @field_validator("oidc_issuer", "oidc_jwks_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not (
            urlsplit(value).scheme in ("http", "https") and urlsplit(value).hostname
        ):
            raise ValueError(f"{value!r} must be an http(s) URL")
        return value

    @model_validator(mode="after")
    def _single_sign_on_is_complete(self) -> Self:
        if self.oidc_only and not self.oidc_issuer:
            raise ValueError("oidc_only needs oidc_issuer")
        if self.oidc_jwks_url and not self.oidc_issuer:
            raise ValueError("oidc_jwks_url needs oidc_issuer")
        if self.environment == "production":
            for url in (self.oidc_issuer, self.oidc_jwks_url):
                if url and not url.startswith("https://"):
                    raise ValueError(f"single sign-on needs https in production, not {url!r}")
        return self

    @model_validator(mode="after")
    def _real_jwt_secret_in_production(self) -> Self:
        if self.oidc_only:
            return self  # the shared secret verifies nothing
        secret = self.jwt_secret.get_secret_value()
        refuse_placeholder(secret, "jwt_secret", self.environment)
        if self.environment == "production" and (
            secret.startswith("dev-") or len(secret.encode()) < MIN_SECRET_BYTES
        ):
            raise ValueError(
                f"jwt_secret must be a real secret of {MIN_SECRET_BYTES}+ bytes in production"
            )
        return self

    @model_validator(mode="after")
    def _real_service_token_secret_in_production(self) -> Self:
        if self.service_token_secret is None:
            if self.oidc_only and self.environment == "production":
                raise ValueError(
                    "oidc_only needs service_token_secret in production: services sign the"
                    " tokens they send each other with it (intake's data keys)"
                )
            return self
        secret = self.service_token_secret.get_secret_value()
        refuse_placeholder(secret, "service_token_secret", self.environment)
        if self.environment == "production" and len(secret.encode()) < MIN_SECRET_BYTES:
            raise ValueError(f"service_token_secret must be {MIN_SECRET_BYTES}+ bytes")
        return self

    def token_verifier(self) -> TokenVerifier:
        return TokenVerifier(
            self.jwt_secret.get_secret_value(),
            self.jwt_audience,
            oidc=OidcVerifier(self.oidc_config()) if self.oidc_issuer else None,
            shared_secret=not self.oidc_only,
            service_secret=_secret(self.service_token_secret),
        )

    def service_token(self) -> Callable[[], str]:
        """A fresh token of this service (``service:<name>``, admin, 5 minutes) for a call
        to another service, signed with ``service_token_secret`` (or ``jwt_secret``)."""
        secret = _secret(self.service_token_secret) or self.jwt_secret.get_secret_value()
        issuer = TokenVerifier(secret, self.jwt_audience)
        subject = f"{SERVICE_SUBJECT}{self.service_name}"
        return lambda: issuer.issue(subject=subject, role=Role.ADMIN, ttl=timedelta(minutes=5))

    def oidc_config(self) -> OidcConfig:
        assert self.oidc_issuer is not None
        return OidcConfig(
            issuer=self.oidc_issuer,
            audience=self.oidc_audience or self.jwt_audience,
            jwks_url=self.oidc_jwks_url,
            algorithms=self.oidc_algorithms,
            subject_claim=self.oidc_subject_claim,
            roles_claim=self.oidc_roles_claim,
            regions_claim=self.oidc_regions_claim,
            role_names=dict(self.oidc_role_names),
            leeway_seconds=self.oidc_leeway_seconds,
            jwks_ttl_seconds=self.oidc_jwks_ttl_seconds,
            jwks_max_stale_seconds=self.oidc_jwks_max_stale_seconds,
            jwks_refetch_seconds=self.oidc_jwks_refetch_seconds,
            http_timeout_seconds=self.oidc_http_timeout_seconds,
            require_access_token_type=self.oidc_require_access_token_type,
        )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
