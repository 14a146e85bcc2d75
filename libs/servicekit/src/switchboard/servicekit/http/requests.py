"""Counts and times every HTTP request by its route template, for the 5xx and 503 rates
and latency on /metrics (deploy/prometheus/rules). The outermost middleware, so answers the
limits give (413, 429) and unhandled errors (500) are counted too. A server-sent event stream
is counted but not timed: it lasts as long as its reader stays, which is no latency; the
open ones are a gauge instead."""

from __future__ import annotations

import time

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.servicekit.metrics import HTTP_REQUEST_DURATION, HTTP_REQUESTS, HTTP_STREAMS_OPEN

NOT_COUNTED = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes: counting them would dilute the error ratios (readiness has its own
gauge, switchboard_ready)."""
UNMATCHED = "unmatched"
"""The route label of a request no route took (a 404, or refused before routing): one
label for all of them, so a scan of random paths cannot grow the series without bound."""
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
"""Method labels kept as they are; any other method is counted as ``other``."""


EVENT_STREAM = b"text/event-stream"


def is_event_stream(message: Message) -> bool:
    for name, value in message.get("headers", ()):
        if name.lower() == b"content-type":
            return bytes(value).split(b";")[0].strip().lower() == EVENT_STREAM
    return False


def route_of(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None) if isinstance(route, BaseRoute) else None
    return path if isinstance(path, str) else UNMATCHED


class RequestMetrics:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in NOT_COUNTED:
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # an error that escapes every handler becomes a 500 further out
        streaming = False

        async def counting_send(message: Message) -> None:
            nonlocal status, streaming
            if message["type"] == "http.response.start":
                status = int(message["status"])
                if is_event_stream(message):
                    streaming = True
                    HTTP_STREAMS_OPEN.labels(route_of(scope)).inc()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            method = scope.get("method") if scope.get("method") in METHODS else "other"
            route = route_of(scope)
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            if streaming:
                HTTP_STREAMS_OPEN.labels(route).dec()
            else:
                HTTP_REQUEST_DURATION.labels(method, route).observe(time.perf_counter() - started)
