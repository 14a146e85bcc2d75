"""Requests to a provider's own API (a messaging platform's send endpoint) rather than to a
receiver of signed webhooks: the provider's URL (which may carry its credential), its
headers, the body as queued, no Standard Webhooks signature; an answer the provider will
give again ends the delivery at once, and a wait it asks for is kept."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta

RETRIED_CLIENT_ERRORS = frozenset({408, 425, 429})
"""4xx answers that may pass: timeout, too early, too many requests."""
REDACTED_URL = "<provider url>"
LONGEST_WAIT = timedelta(days=1)
"""A provider's requested wait is kept up to this (a longer or absurd one is cut to it)."""


@dataclass(frozen=True)
class ProviderEndpoint:
    url: str = field(repr=False)
    """Where the request goes; never logged or recorded (it may hold a credential)."""
    headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Sent with ``content-type: application/json`` unless they name another."""
    retry_after: Callable[[int, bytes], float | None] | None = None
    """Seconds the provider asked to wait, read from its answer (status, body) — for a
    provider that says so in the body; a ``Retry-After`` header in seconds is kept anyway."""

    def request_headers(self) -> dict[str, str]:
        names = {name.lower() for name in self.headers}
        default = {} if "content-type" in names else {"content-type": "application/json"}
        return default | dict(self.headers)

    def gives_up_on(self, status_code: int) -> bool:
        """A client error that is no passing condition: the same request would fail again.
        (An answer in which the provider asks to wait is tried again whatever its status:
        some providers throttle with a 400 and an error code.)"""
        return 400 <= status_code < 500 and status_code not in RETRIED_CLIENT_ERRORS

    def wait_asked(
        self, status_code: int, answer: bytes, retry_after_header: str | None
    ) -> timedelta | None:
        seconds = self.retry_after(status_code, answer) if self.retry_after else None
        header = (retry_after_header or "").strip()
        if seconds is None and header.isascii() and header.isdigit():
            seconds = float(header[:12])
        if seconds is None or not seconds > 0:  # also NaN
            return None
        return min(LONGEST_WAIT, timedelta(seconds=min(seconds, LONGEST_WAIT.total_seconds())))

    def redacted(self, text: str) -> str:
        """An error's text without the URL (and so without a credential in it)."""
        return text.replace(self.url, REDACTED_URL)
