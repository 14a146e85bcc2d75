"""A simulated channel adapter's outbound side: a real HTTP server on loopback that receives
what intake sends the customer (agents' replies, survey invitations), verifies each
request's Standard Webhooks signature with the adapter's secret, and hands it on; and the
adapter's delivery reports back to intake (sent, delivered, read — or failed)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import socket
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from fastapi import FastAPI, Request, Response

from switchboard.adapter_client import InvalidSignature, verify
from switchboard.simulator.channels import Adapter
from switchboard.simulator.clock import SimClock, lognormal

OUTBOUND_PATH = "/outbound"
FAILURE_RATE = 0.04
"""The share of outbound messages the provider cannot deliver."""
READ_RATE = 0.5
"""The share of delivered messages the customer is seen to read (not on e-mail)."""
SEND_MEDIAN_SECONDS = 5.0
DELIVER_MEDIAN_SECONDS = 20.0
READ_MEDIAN_SECONDS = 120.0
"""Simulated seconds between the steps of a delivery."""
FAILURE_REASONS = {
    "email": (
        "552 5.2.2 mailbox full",
        "550 5.1.1 recipient address rejected: user unknown",
    ),
    "chat": ("the visitor closed the chat window", "chat session expired"),
    "social": (
        "the customer blocked the page's account",
        "the platform rejected the message: outside the 24-hour window",
    ),
}

Outbound = dict[str, Any]
"""The ``data`` of an outbound request: ``kind`` reply or survey, the case, the text and
where it goes."""


class _QuietServer(uvicorn.Server):
    """uvicorn without its signal handlers: the simulator's own Ctrl-C handling stays."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def loopback_socket() -> socket.socket:
    """A socket bound to a free port on 127.0.0.1 (uvicorn starts listening on it)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


class AdapterServer:
    """One adapter's outbound endpoint, ``POST http://127.0.0.1:<port>/outbound``.

    Bound before the adapter is registered (its address goes into the registration) and
    started once the secret is known. A request whose signature does not verify with the
    adapter's secret is refused with 401 and counted; a retry of a message already received
    (same ``webhook-id``) is answered 204 again but handed on only once."""

    def __init__(self, on_message: Callable[[Adapter, Outbound], None]) -> None:
        self.on_message = on_message
        self.socket = loopback_socket()
        self.port: int = self.socket.getsockname()[1]
        self.adapter: Adapter | None = None
        self.received = 0
        self.forged = 0
        self._seen: set[str] = set()
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{OUTBOUND_PATH}"

    def app(self) -> FastAPI:
        app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)

        @app.post(OUTBOUND_PATH)
        async def receive(request: Request) -> Response:
            return self.receive(await request.body(), dict(request.headers))

        return app

    def receive(self, body: bytes, headers: dict[str, str]) -> Response:
        adapter = self.adapter
        if adapter is None:
            return Response(status_code=503)
        try:
            verify([adapter.secret], headers, body)
            document = json.loads(body)
        except InvalidSignature:
            self.forged += 1
            return Response(status_code=401)
        except ValueError:
            return Response(status_code=400)
        webhook_id = headers.get("webhook-id", "")
        data = document.get("data") if isinstance(document, dict) else None
        if not isinstance(data, dict):
            return Response(status_code=400)
        if webhook_id not in self._seen:
            self._seen.add(webhook_id)
            self.received += 1
            self.on_message(adapter, data)
        return Response(status_code=204)

    async def start(self, adapter: Adapter) -> None:
        self.adapter = adapter
        config = uvicorn.Config(self.app(), log_level="warning", access_log=False, lifespan="off")
        server = self._server = _QuietServer(config)
        self._task = asyncio.create_task(server.serve(sockets=[self.socket]))
        while not server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError(f"the outbound server of {adapter.id} did not start")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        if self._server is None or self._task is None:
            self.socket.close()
            return
        self._server.should_exit = True
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self._task, 10)


@dataclass(frozen=True)
class DeliveryPlan:
    """What happens to one outbound message at the provider: the states reported in order,
    and the reason when it failed."""

    states: tuple[str, ...]
    reason: str | None = None

    @property
    def failed(self) -> bool:
        return self.states[-1] == "failed"


def plan_delivery(rng: random.Random, channel: str) -> DeliveryPlan:
    """``sent`` then ``delivered`` (and ``read`` for some — e-mail reports no reads), or
    ``sent`` then ``failed`` with the provider's reason for a small share."""
    if rng.random() < FAILURE_RATE:
        reasons = FAILURE_REASONS.get(channel, ("the provider refused the message",))
        return DeliveryPlan(("sent", "failed"), rng.choice(reasons))
    if channel != "email" and rng.random() < READ_RATE:
        return DeliveryPlan(("sent", "delivered", "read"))
    return DeliveryPlan(("sent", "delivered"))


Reporter = Callable[[Adapter, str, str, str | None], Awaitable[httpx.Response]]
"""``(adapter, reply_id, state, reason)`` → intake's answer."""


async def report_delivery(
    report: Reporter,
    adapter: Adapter,
    reply_id: str,
    plan: DeliveryPlan,
    *,
    clock: SimClock,
    rng: random.Random,
) -> list[tuple[str, int]]:
    """Report each state of ``plan`` to intake after a short (simulated) while; the states
    with intake's HTTP status."""
    waits = {
        "sent": SEND_MEDIAN_SECONDS,
        "delivered": DELIVER_MEDIAN_SECONDS,
        "failed": DELIVER_MEDIAN_SECONDS,
        "read": READ_MEDIAN_SECONDS,
    }
    answers: list[tuple[str, int]] = []
    for state in plan.states:
        await clock.wait(lognormal(rng, waits[state], 0.5), at_most=3.0)
        reason = plan.reason if state == "failed" else None
        response = await report(adapter, reply_id, state, reason)
        answers.append((state, response.status_code))
    return answers
