"""An OpenID Connect provider's signing keys: its discovery document and its JWKS, fetched
and cached.

Stale-while-revalidate: after ``ttl`` the cached key set still answers, at once, while one
background fetch replaces it; no request waits for the provider then. A token naming a key
the set does not hold fetches at once (on the caller's thread), at most once per
``cooldown`` (a flood of made-up key ids reaches the provider once per cooldown), so a
rotated key works immediately. A failed fetch is not retried within the cooldown either.
While the provider is down the last key set keeps verifying for ``max_stale`` past its
``ttl``; after that, and for an unknown key while the provider is down,
``ProviderUnavailable`` (a 503 with Retry-After).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import NoReturn

import httpx
from jwt import PyJWK, PyJWKSet
from jwt.exceptions import PyJWKSetError

WELL_KNOWN = "/.well-known/openid-configuration"


class ProviderUnavailable(Exception):
    """The provider's discovery document or key set could not be fetched (or used)."""

    def __init__(self, reason: str, retry_after: float) -> None:
        super().__init__(reason)
        self.retry_after = max(1, math.ceil(retry_after))


class UnknownKey(LookupError):
    """The provider's current key set has no signing key of that id."""


class MustFetch(Exception):
    """Answering needs a fetch from the provider on this thread (``key(fetch=False)``)."""


class ProviderKeys:
    def __init__(
        self,
        uri: str,
        *,
        ttl: float,
        max_stale: float,
        cooldown: float,
        timeout: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.uri = uri
        self.ttl = ttl
        self.max_stale = max_stale
        self.cooldown = cooldown
        self.timeout = timeout
        self._clock = clock
        self._fetching = threading.Lock()
        self._flag = threading.Lock()
        self._refreshing = False
        self._keys: PyJWKSet | None = None
        self._fetched_at = 0.0
        self._tried_at: float | None = None
        self._failure = ""

    def key(self, kid: str, *, fetch: bool = True) -> PyJWK:
        """The signing key ``kid``; ``UnknownKey``, ``ProviderUnavailable``, or ``MustFetch``
        without ``fetch`` when answering needs the provider. An expired set starts a
        background refresh and answers meanwhile."""
        found = self._usable_key(kid)
        if found is not None:
            if self._age() > self.ttl:
                self._refresh_in_background()
            return found
        if self._cooling():
            self._raise_for(kid)
        if not fetch:
            raise MustFetch(kid)
        self._fetch()
        found = self._usable_key(kid)
        if found is None:
            self._raise_for(kid)
        assert found is not None
        return found

    def _raise_for(self, kid: str) -> NoReturn:
        if self._failure or self._usable() is None:
            raise ProviderUnavailable(self._failure or "no key set yet", self._cooldown_left())
        raise UnknownKey(kid)

    def _age(self) -> float:
        return self._clock() - self._fetched_at

    def _usable(self) -> PyJWKSet | None:
        if self._keys is None or self._age() > self.ttl + self.max_stale:
            return None
        return self._keys

    def _usable_key(self, kid: str) -> PyJWK | None:
        keys = self._usable()
        if keys is None:
            return None
        for key in keys.keys:
            if key.key_id == kid and key.public_key_use in ("sig", None):
                return key
        return None

    def _cooling(self) -> bool:
        return self._cooldown_left() > 0

    def _cooldown_left(self) -> float:
        if self._tried_at is None:
            return 0.0
        return self.cooldown - (self._clock() - self._tried_at)

    def _refresh_in_background(self) -> None:
        with self._flag:
            if self._refreshing or self._failing():
                return
            self._refreshing = True
        threading.Thread(target=self._refresh, name="jwks-refresh", daemon=True).start()

    def _failing(self) -> bool:
        """The last fetch failed, within the cooldown: not tried again yet."""
        return bool(self._failure) and self._cooling()

    def _refresh(self) -> None:
        try:
            self._fetch(expired_only=True)
        finally:
            with self._flag:
                self._refreshing = False

    def _fetch(self, *, expired_only: bool = False) -> None:
        """One fetch at a time; a caller who waited for another's finds it done. The ttl's
        refresh (``expired_only``) waits out a failure's cooldown; a fetch for an unknown key
        waits out any fetch's."""
        with self._fetching:
            if expired_only:
                if self._age() <= self.ttl or self._failing():
                    return
            elif self._cooling():
                return
            self._tried_at = self._clock()
            try:
                response = httpx.get(self.uri, timeout=self.timeout)
                response.raise_for_status()
                keys = PyJWKSet.from_dict(response.json())
            except (httpx.HTTPError, PyJWKSetError, ValueError) as error:
                self._failure = f"the provider's key set ({self.uri}) is unreachable: {error}"
                return
            self._keys, self._fetched_at, self._failure = keys, self._tried_at, ""


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
