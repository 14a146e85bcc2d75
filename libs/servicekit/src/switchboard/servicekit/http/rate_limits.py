"""Rate limits at the HTTP edge: over its limit a caller gets 429 problem+json with
Retry-After, before the request reaches the app.

Hits are counted by the ``limits`` library in a moving window, in this process's memory:
with several uvicorn workers each counts its own, so set per-worker limits.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter
from pydantic import AfterValidator
from starlette.types import ASGIApp, Receive, Scope, Send

from switchboard.servicekit.http.problems import problem_response


def _valid_limits(text: str) -> str:
    if text:
        parse_many(text)  # ValueError names what is wrong
    return text


LimitText = Annotated[str, AfterValidator(_valid_limits)]
"""A setting in the ``limits`` notation (``"30/minute"``, ``"20/second;600/minute"``);
empty means no limit. Checked when the settings load."""

KeyOf = Callable[[Scope], str | None]
"""The caller a request is counted against; None leaves the request unlimited."""


def client_address(scope: Scope) -> str | None:
    client = scope.get("client")
    return f"address:{client[0]}" if client else None


def path_prefix(prefix: str, *, then: KeyOf = client_address) -> KeyOf:
    """Count only requests under ``prefix`` (e.g. ``/surveys/``), by ``then``."""

    def key(scope: Scope) -> str | None:
        return then(scope) if str(scope.get("path", "")).startswith(prefix) else None

    return key


def path_segment(prefix: str, index: int, *, label: str) -> KeyOf:
    """Count requests under ``prefix`` by one segment of their path (e.g. the adapter id in
    ``/v1/adapters/{id}/...``: ``path_segment("/v1/adapters/", 3, label="adapter")``)."""

    def key(scope: Scope) -> str | None:
        path = str(scope.get("path", ""))
        if not path.startswith(prefix):
            return None
        segments = path.split("/")
        return f"{label}:{segments[index]}" if len(segments) > index else None

    return key


@dataclass(frozen=True)
class RateLimitRule:
    limit: str
    """In the ``limits`` notation: ``"50/second"``, ``"20/second;600/minute"``."""
    key: KeyOf = client_address

    def items(self) -> list[RateLimitItem]:
        return parse_many(self.limit)


class RateLimit:
    def __init__(self, app: ASGIApp, rule: RateLimitRule) -> None:
        self.app = app
        self.rule = rule
        self.items = rule.items()
        self.limiter = MovingWindowRateLimiter(MemoryStorage())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        key = self.rule.key(scope) if scope["type"] == "http" else None
        if key is None:
            await self.app(scope, receive, send)
            return
        for item in self.items:
            if not self.limiter.hit(item, key):
                await self._reject(scope, receive, send, item, key)
                return
        await self.app(scope, receive, send)

    async def _reject(
        self, scope: Scope, receive: Receive, send: Send, item: RateLimitItem, key: str
    ) -> None:
        reset_at = self.limiter.get_window_stats(item, key).reset_time
        retry_after = max(1, math.ceil(reset_at - time.time()))
        answer = problem_response(
            429,
            f"more than {item} for this {key.split(':', 1)[0]}; retry later",
            headers={"Retry-After": str(retry_after)},
            retry_after_seconds=retry_after,
        )
        await answer(scope, receive, send)
