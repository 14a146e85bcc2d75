"""Escalation on the real stack: PostgreSQL (and Kafka where a test needs it) from
servicekit's test plugin."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from standardwebhooks import Webhook, WebhookVerificationError

from ..conftest import WEBHOOK_SECRET, Stack


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    """Escalation's handlers in-process on a fresh PostgreSQL database."""
    async with await Stack.on(database_url) as running:
        yield running


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.asynccontextmanager
async def serving(app: FastAPI, port: int) -> AsyncIterator[None]:
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
        await asyncio.sleep(0.05)
    try:
        yield
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 30)


@dataclass
class WebhookReceiver:
    """Verifies every request's signature; refuses the first attempt of each message to
    `flaky` coordinators so that the sender has to retry."""

    flaky: set[str]
    refuse_all: bool = False
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    forged: int = 0

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/hooks/{coordinator}")
        async def hook(coordinator: str, request: Request) -> Response:
            body = await request.body()
            try:
                payload = Webhook(WEBHOOK_SECRET).verify(body, dict(request.headers))
            except WebhookVerificationError:
                self.forged += 1
                return Response(status_code=401)
            message_id = request.headers["webhook-id"]
            if self.refuse_all:
                return Response(status_code=500)
            if coordinator in self.flaky and message_id not in self.refused:
                self.refused.append(message_id)
                return Response(status_code=503)
            self.received.append((coordinator, payload))
            return Response(status_code=204)

        return app
