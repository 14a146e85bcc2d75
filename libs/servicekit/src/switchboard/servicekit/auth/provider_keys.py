"""An OpenID Connect provider's signing keys: its discovery document and its JWKS, fetched
with PyJWT's ``PyJWKClient`` and cached.

The key set is fetched again after ``ttl`` seconds, or at once for a token naming a key
it does not hold, at most once per ``cooldown`` seconds (a flood of made-up key ids
reaches the provider once per cooldown). A failed fetch is not retried within the
cooldown either, and the last key set fetched stays in use while the provider is down.
Fetching blocks: call from a worker thread.
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
from jwt import PyJWK, PyJWKClient, PyJWKClientConnectionError, PyJWKSet
from jwt.exceptions import PyJWKSetError

WELL_KNOWN = "/.well-known/openid-configuration"


class ProviderUnavailable(Exception):
    """The provider's discovery document or key set could not be fetched (or used)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = max(1, math.ceil(retry_after))


class ProviderKeys(PyJWKClient):
    """``PyJWKClient`` that keeps its last key set through an outage and rate-limits failed
    fetches as it rate-limits refetches for unknown keys."""

    def __init__(self, uri: str, *, ttl: float, cooldown: float, timeout: float) -> None:
        super().__init__(
            uri, cache_jwk_set=True, lifespan=ttl, cooldown_duration=cooldown, timeout=timeout
        )
        self._failed_at: float | None = None
        self._failure = ""
        self._last: PyJWKSet | None = None

    def failing_for(self) -> float | None:
        """Seconds left before a failed fetch may be tried again; None when not failing."""
        if self._failed_at is None:
            return None
        left = self.cooldown_duration - (time.monotonic() - self._failed_at)
        return left if left > 0 else None

    def fetch_data(self) -> Any:
        left = self.failing_for()
        if left is not None:
            raise PyJWKClientConnectionError(f"{self._failure} (retrying in {math.ceil(left)}s)")
        try:
            data = super().fetch_data()
        except (PyJWKClientConnectionError, PyJWKSetError, ValueError) as error:
            self._failed_at = time.monotonic()
            self._failure = str(error)
            raise PyJWKClientConnectionError(self._failure) from error
        self._failed_at = None
        return data

    def get_jwk_set(self, refresh: bool = False) -> PyJWKSet:
        try:
            keys = super().get_jwk_set(refresh)
        except PyJWKClientConnectionError:
            if refresh or self._last is None:
                raise
            return self._last  # expired, but what the provider last said while it is down
        self._last = keys
        return keys

    def cached(self, kid: str) -> PyJWK | None:
        """The key named ``kid`` if it can be had without fetching."""
        keys = self.jwk_set_cache.get() if self.jwk_set_cache else None
        if keys is None and self.failing_for() is not None:
            keys = self._last
        if keys is None:
            return None
        signing = [key for key in keys.keys if key.public_key_use in ("sig", None)]
        return self.match_kid(signing, kid)

    def key(self, kid: str) -> PyJWK:
        """The key named ``kid``, fetching as above; ``PyJWKClientError`` for an unknown
        key, ``ProviderUnavailable`` when the key set cannot be fetched."""
        try:
            return self.get_signing_key(kid)
        except PyJWKClientConnectionError as error:
            raise ProviderUnavailable(
                f"the provider's key set ({self.uri}) is unreachable: {error}",
                self.failing_for() or self.cooldown_duration,
            ) from error


class Discovery:
    """The provider's ``jwks_uri``, read once from its discovery document (a failure is
    not retried within ``cooldown``)."""

    def __init__(self, issuer: str, *, cooldown: float, timeout: float) -> None:
        self.issuer = issuer
        self.url = issuer.rstrip("/") + WELL_KNOWN
        self._cooldown = cooldown
        self._timeout = timeout
        self._failed_at: float | None = None
        self._failure = ""
        self.jwks_uri: str | None = None

    def resolve(self) -> str:
        if self.jwks_uri is not None:
            return self.jwks_uri
        if self._failed_at is not None:
            left = self._cooldown - (time.monotonic() - self._failed_at)
            if left > 0:
                raise ProviderUnavailable(self._failure, left)
        try:
            self.jwks_uri = self._fetch()
        except (httpx.HTTPError, ValueError) as error:
            self._failed_at = time.monotonic()
            self._failure = f"the discovery document {self.url} could not be read: {error}"
            raise ProviderUnavailable(self._failure, self._cooldown) from error
        return self.jwks_uri

    def _fetch(self) -> str:
        response = httpx.get(self.url, timeout=self._timeout)
        response.raise_for_status()
        document = response.json()
        if not isinstance(document, dict) or document.get("issuer") != self.issuer:
            raise ValueError(f"it names another issuer than {self.issuer!r}")
        jwks_uri = document.get("jwks_uri")
        if not isinstance(jwks_uri, str) or not jwks_uri.startswith(("https://", "http://")):
            raise ValueError("it has no http(s) jwks_uri")
        return jwks_uri
