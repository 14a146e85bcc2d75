"""A real HTTP receiver of signed deliveries on loopback, for tests: verifies every request's
Standard Webhooks signature, records what it accepted, and answers as told (refuse the
first attempt of each message, refuse everything, or accept)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError


@asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    """``app`` served by uvicorn on 127.0.0.1:``port`` for the block."""
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.02)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@dataclass
class SignedReceiver:
    """``POST /{recipient}``, signed with ``secret``. ``flaky``: recipients whose first
    attempt of each message is refused with 503; ``refuse_all``: every request gets 500."""

    secret: str
    flaky: set[str] = field(default_factory=set)
    refuse_all: bool = False
    received: list[tuple[str, dict[str, Any], dict[str, str]]] = field(default_factory=list)
    """(recipient, payload, headers) of each accepted request."""
    refused: list[str] = field(default_factory=list)
    forged: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/{recipient}")
        async def receive(recipient: str, request: Request) -> Response:
            body = await request.body()
            try:
                payload = Webhook(self.secret).verify(body, dict(request.headers))
            except WebhookVerificationError:
                self.forged += 1
                return Response(status_code=401)
            message_id = request.headers["webhook-id"]
            if self.refuse_all:
                return Response(status_code=500)
            if recipient in self.flaky and message_id not in self.refused:
                self.refused.append(message_id)
                return Response(status_code=503)
            self.received.append((recipient, payload, dict(request.headers)))
            self.arrived.set()
            return Response(status_code=204)

        return app
