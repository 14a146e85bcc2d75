"""Escalation on the real stack: PostgreSQL (and Kafka where a test needs it) from
servicekit's test plugin."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import uvicorn
from fastapi import FastAPI, Request, Response
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from standardwebhooks import Webhook, WebhookVerificationError

from switchboard.contracts.envelope import Envelope, decode
from switchboard.contracts.events import REGISTRY, CaseOpened
from switchboard.escalation.adapters.config_store import ConfigStore
from switchboard.escalation.adapters.orm import metadata
from switchboard.escalation.config import load_config
from switchboard.escalation.domain.triggers import KeywordClassifier
from switchboard.escalation.handlers import EscalationHandlers
from switchboard.escalation.migrations import VERSIONS_DIR
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.timers import TimerPoller

pytestmark = pytest.mark.integration

WEBHOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
# Monday 24 Nov 2025, 09:00 in Oslo: the nordics office is open 08:00-16:00 on weekdays.
MONDAY_MORNING = datetime(2025, 11, 24, 8, 0, tzinfo=UTC)


OSLO_OFFICE = """
    timezone: Europe/Oslo
    country: "NO"
    hours: {mon: ["08:00-16:00"], tue: ["08:00-16:00"], wed: ["08:00-16:00"],
            thu: ["08:00-16:00"], fri: ["08:00-16:00"]}"""


def escalation_config(
    *, webhooks: str = "http://127.0.0.1:9", nordics_calendar: str = OSLO_OFFICE
) -> str:
    return f"""
calendars:
  nordics:{nordics_calendar}
  france:
    timezone: Europe/Paris
    country: FR
    hours: {{mon: ["09:00-17:00"], tue: ["09:00-17:00"], wed: ["09:00-17:00"],
            thu: ["09:00-17:00"], fri: ["09:00-17:00"]}}
sla_policies:
  - name: premium
    when: {{customer_tier: [vip, gold]}}
    targets: {{first_response: 4s, next_response: 1h, resolution: 1d}}
    warnings: [0.5, 0.75]
    escalation_policy: fast
  - name: urgent
    when: {{priority: [urgent]}}
    targets: {{first_response: 20m, next_response: 1h, resolution: 4h}}
    escalation_policy: standard
  - name: default
    targets: {{first_response: 1h, next_response: 2h, resolution: 8h}}
    escalation_policy: standard
escalation_policies:
  - name: fast
    levels:
      - {{name: team lead, targets: ["role:team_lead"], acknowledge_within: 3s}}
      - {{name: manager, targets: ["role:manager"], acknowledge_within: 3s}}
  - name: standard
    repeat: 1
    levels:
      - {{name: team lead, targets: ["role:team_lead"], acknowledge_within: 10m}}
      - {{name: coordinator, targets: ["role:coordinator"], acknowledge_within: 15m}}
coordinators:
  - {{id: nora, name: Nora, regions: [nordics], roles: [team_lead],
      webhook: {{url: "{webhooks}/hooks/nora", secret: "{WEBHOOK_SECRET}"}}}}
  - {{id: magnus, name: Magnus, regions: [nordics], roles: [manager, coordinator],
      webhook: {{url: "{webhooks}/hooks/magnus", secret: "{WEBHOOK_SECRET}"}}}}
  - {{id: camille, name: Camille, regions: [france], roles: [team_lead, coordinator]}}
vip: {{tiers: [vip], wait: 2s}}
"""


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@dataclass
class Stack:
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    config: ConfigStore
    handlers: EscalationHandlers
    poller: TimerPoller
    clock: Clock

    async def deliver(self, event: Any) -> str:
        envelope = Envelope(data=event, source="/test")
        handler = self.handlers.event_handlers()[type(event)]
        async with self.sessions() as session, session.begin():
            await handler(session, envelope)
        return envelope.id

    async def fire_timers(self) -> int:
        total = 0
        while fired := await self.poller.fire_due():
            total += fired
        return total

    async def events(self, *types: type) -> list[Any]:
        async with self.sessions() as session:
            rows = (await session.execute(select(outbox).order_by(outbox.c.id))).all()
        decoded = [
            decode(REGISTRY, row.payload, [(k, v.encode()) for k, v in row.headers]).data
            for row in rows
        ]
        return [event for event in decoded if not types or isinstance(event, types)]


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    await migrate(database_url, versions_dir=VERSIONS_DIR, metadata=metadata)
    engine = create_engine(database_url)
    sessions = session_factory(engine)
    store = ConfigStore(refresh_seconds=0)
    async with sessions() as session, session.begin():
        await store.replace(session, config=load_config(escalation_config()), by="test")
    clock = Clock(MONDAY_MORNING)
    handlers = EscalationHandlers(config=store, classifier=KeywordClassifier(), now=clock)
    poller = TimerPoller(
        sessions=sessions,
        handlers=handlers.timer_handlers(),
        batch_handlers=handlers.timer_batch_handlers(),
        clock=clock,
    )
    try:
        yield Stack(engine, sessions, store, handlers, poller, clock)
    finally:
        await engine.dispose()


def case_opened(
    *,
    at: datetime,
    region: str = "nordics",
    tier: str | None = None,
    priority: int = 3,
    case_id: str | None = None,
) -> CaseOpened:
    return CaseOpened(
        case_id=case_id or f"case-{uuid.uuid4().hex[:10]}",
        customer_id=f"cust-{uuid.uuid4().hex[:6]}",
        region=region,
        channel="email",
        opened_at=at,
        first_contact_id=f"contact-{uuid.uuid4().hex[:6]}",
        language="nb",
        language_confidence=0.9,
        priority=priority,
        customer_tier=tier,
    )


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
