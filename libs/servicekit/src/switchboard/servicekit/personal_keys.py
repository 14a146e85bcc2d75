"""Data keys of sealed personal fields (``sealing``), asked of the service that holds them
over its authenticated HTTP API and kept for a short while: a destroyed key stops being
served at once and is forgotten here within ``ttl``."""

from __future__ import annotations

import base64
import itertools
import time
from collections.abc import Callable
from urllib.parse import quote

import httpx

from switchboard.servicekit.faults import DependencyUnavailable

GONE = (404, 410)


class PersonalKeys:
    def __init__(
        self,
        *,
        url: str,
        token: Callable[[], str],
        ttl: float = 30.0,
        timeout: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``url`` has a ``{key_id}`` field; ``token`` makes the bearer token of a call."""
        self._url, self._token, self._ttl = url, token, ttl
        self._timeout, self._transport = timeout, transport
        self._http: httpx.AsyncClient | None = None
        self._cache: dict[str, tuple[float, bytes | None]] = {}
        """Key id → (expiry, key), in expiry order (one time-to-live for all): expired
        keys leave at the next call, so a destroyed key is not held longer than that, and
        the cache is as big as the keys used within a time-to-live."""

    async def key(self, key_id: str) -> bytes | None:
        """The key, or None once it was destroyed (or never existed). A holder that cannot
        answer is a sick dependency: ``DependencyUnavailable`` (the consumer retries)."""
        now = time.monotonic()
        self._forget_expired(now)
        cached = self._cache.get(key_id)
        if cached is not None and cached[0] > now:
            return cached[1]
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self._timeout, transport=self._transport)
        try:
            answer = await self._http.get(
                self._url.format(key_id=quote(key_id, safe="")),
                headers={"Authorization": f"Bearer {self._token()}"},
            )
        except httpx.HTTPError as error:
            raise DependencyUnavailable("key holder", str(error)) from error
        if answer.status_code in GONE:
            key = None
        elif answer.status_code == 200:
            try:
                key = base64.b64decode(answer.json()["key"], validate=True)
            except (ValueError, KeyError, TypeError) as error:
                raise DependencyUnavailable(
                    "key holder", f"a key it sent is unreadable: {error!r}"
                ) from error
        else:
            raise DependencyUnavailable("key holder", f"answered {answer.status_code}")
        self._cache.pop(key_id, None)
        self._cache[key_id] = (now + self._ttl, key)
        return key

    def _forget_expired(self, now: float) -> None:
        for key_id, (expires, _) in list(itertools.islice(self._cache.items(), 64)):
            if expires > now:
                return
            del self._cache[key_id]

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
