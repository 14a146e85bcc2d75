"""Intake on the real stack: PostgreSQL and Kafka from servicekit's test plugin, the real app
driven over ASGI, events read back from the cases topic."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer

from switchboard.contracts.envelope import Envelope, decode
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.intake.adapters.customer_keys import key_of
from switchboard.intake.domain.signatures import sign
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.intake.service_layer.unit_of_work import IntakeDeps
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.sealing import SealedFields, open_sealed
from switchboard.servicekit.service import Service, ServiceDefinition, assemble, service_app
from switchboard.servicekit.testing.topics import create_topics

MAX_BODY_BYTES = 64 * 1024


@dataclass
class Adapter:
    id: str
    secret: str
    channel: str


@dataclass
class IntakeHarness:
    service: Service[IntakeSettings, IntakeDeps]
    client: httpx.AsyncClient
    bootstrap_servers: str
    started_at_ms: int

    def admin_headers(self, role: str = "admin") -> dict[str, str]:
        token = self.service.tokens.issue(subject="test-admin", role=role)
        return {"Authorization": f"Bearer {token}"}

    async def register(self, channel: str, **spec: Any) -> Adapter:
        adapter_id = f"{channel}-{uuid.uuid4().hex[:8]}"
        response = await self.client.post(
            "/v1/admin/adapters",
            json={"id": adapter_id, "channel": channel, **spec},
            headers=self.admin_headers(),
        )
        assert response.status_code == 201, response.text
        return Adapter(adapter_id, response.json()["secret"], channel)

    async def post(
        self,
        adapter: Adapter,
        body: bytes | dict[str, Any],
        *,
        channel: str | None = None,
        webhook_id: str | None = None,
        at: datetime | None = None,
        secret: str | None = None,
        content_type: str = "application/json",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        raw = json.dumps(body).encode() if isinstance(body, dict) else body
        signed = sign(
            secret=secret or adapter.secret,
            webhook_id=webhook_id or f"msg_{uuid.uuid4().hex}",
            body=raw,
            at=at or datetime.now(UTC),
        )
        return await self.client.post(
            f"/v1/adapters/{adapter.id}/contacts/{channel or adapter.channel}",
            content=raw,
            headers={"content-type": content_type, **signed, **(headers or {})},
        )

    async def unsealed(self, event: Any) -> Any:
        """``event`` with the personal fields intake sealed in it back in place (when this
        intake holds the key)."""
        if event.sealed is None:
            return event
        async with self.service.transaction() as uow:
            key = await key_of(uow.session, event.sealed.key_id)
        if key is None:  # another test's customer, or erased: it stays sealed
            return event
        fields = open_sealed(SealedFields(**event.sealed.model_dump()), key=key)
        return event.model_copy(update={**fields, "sealed": None})

    async def case_events(
        self,
        wanted: Callable[[Envelope[Any]], bool],
        *,
        until: Callable[[list[Envelope[Any]]], bool],
        timeout: float = 20.0,
    ) -> list[Envelope[Any]]:
        """Events on the cases topic written since this test began that ``wanted`` keeps,
        read until ``until`` holds for them or the timeout passes."""
        consumer = AIOKafkaConsumer(
            CASES.name,
            bootstrap_servers=self.bootstrap_servers,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
        )
        await consumer.start()
        found: list[Envelope[Any]] = []
        try:
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline and not until(found):
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        if record.timestamp < self.started_at_ms - 1000:
                            continue
                        envelope = decode(REGISTRY, record.value, list(record.headers))
                        if wanted(envelope):
                            found.append(envelope)
        finally:
            await consumer.stop()
        return found


@pytest.fixture
async def intake(
    database_url: str, kafka_bootstrap: str, definition: ServiceDefinition[Any, Any]
) -> AsyncIterator[IntakeHarness]:
    await create_topics(kafka_bootstrap, [CASES.name, ASSIGNMENTS.name])
    providers_port = free_port()
    settings = IntakeSettings.load(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"intake-test-{uuid.uuid4().hex[:8]}",
        environment="test",
        max_body_bytes=MAX_BODY_BYTES,
        outbox_poll_seconds=0.2,
        # Providers' APIs on loopback (a stand-in the test serves there, else nothing
        # listens): no test reaches the real network.
        telegram_api_base=f"http://127.0.0.1:{providers_port}",
        meta_graph_base=f"http://127.0.0.1:{providers_port}/v23.0",
    )
    service = assemble(definition, settings, migrate_first=True)
    app = service_app(service, HTTP_API)
    await service.runtime.start()
    try:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
            yield IntakeHarness(service, client, kafka_bootstrap, int(time.time() * 1000))
    finally:
        await service.runtime.stop()


def make_chat_body(token: str, **change: Any) -> dict[str, Any]:
    return {
        "session_id": f"session-{token}",
        "message_id": f"m-{token}",
        "visitor": {"id": f"visitor-{token}"},
        "message": "Hello, my parcel has still not arrived and nobody answers my emails.",
    } | change


@pytest.fixture
def chat_body() -> Callable[..., dict[str, Any]]:
    return make_chat_body
