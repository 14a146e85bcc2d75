"""The bearer-token settings every service shares: same names, same dev default, same
production check."""

from __future__ import annotations

from typing import Self

from pydantic import Field, SecretStr, model_validator

from switchboard.servicekit.auth.tokens import TokenVerifier
from switchboard.servicekit.settings import ServiceSettings, refuse_placeholder

DEV_JWT_SECRET = "dev-only-switchboard-jwt-secret-never-use-in-production"
"""The same in every service, so one dev token works everywhere; refused in production."""
MIN_SECRET_BYTES = 32  # an HS256 key no shorter than the hash (RFC 7518 §3.2)


class BearerServiceSettings(ServiceSettings):
    """``ServiceSettings`` plus ``jwt_secret`` and ``jwt_audience``; subclass with your env
    prefix (``SWITCHBOARD_<SERVICE>_JWT_SECRET``, ``…_JWT_AUDIENCE``)."""

    jwt_secret: SecretStr = SecretStr(DEV_JWT_SECRET)
    jwt_audience: str = Field(default="switchboard", min_length=1)

    @model_validator(mode="after")
    def _real_jwt_secret_in_production(self) -> Self:
        secret = self.jwt_secret.get_secret_value()
        refuse_placeholder(secret, "jwt_secret", self.environment)
        if self.environment == "production" and (
            secret.startswith("dev-") or len(secret.encode()) < MIN_SECRET_BYTES
        ):
            raise ValueError(
                f"jwt_secret must be a real secret of {MIN_SECRET_BYTES}+ bytes in production"
            )
        return self

    def token_verifier(self) -> TokenVerifier:
        return TokenVerifier(self.jwt_secret.get_secret_value(), self.jwt_audience)
