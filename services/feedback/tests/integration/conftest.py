"""The feedback service on the real broker and PostgreSQL, with fresh topics per test."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import ASSIGNMENTS, CASES, SLA
from switchboard.feedback.bootstrap import DEFINITION
from switchboard.feedback.entrypoints.app import HTTP_API
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.service import assemble, service_app

SURVEY_DELAY_SECONDS = 1.5


@dataclass
class FeedbackWorld:
    settings: FeedbackSettings
    client: httpx.AsyncClient
    producer: AIOKafkaProducer
    bootstrap: str

    async def publish(self, event: Event | Envelope[Event]) -> None:
        """Send an upstream event the way its writer would, to this test's copy of its topic."""
        envelope = event if isinstance(event, Envelope) else Envelope(event, "/tests/upstream")
        record = encode(envelope)
        topic = self.settings.topic_name(envelope.data.topic.name)
        await self.producer.send_and_wait(
            topic, value=record.value, key=record.key, headers=record.headers
        )

    def bearer(
        self, *, role: str = "admin", regions: list[str] | None = None, sub: str = "u1"
    ) -> dict[str, str]:
        token = self.settings.token_verifier().issue(subject=sub, role=role, regions=regions or [])
        return {"Authorization": f"Bearer {token}"}

    async def events_for(
        self, topic: str, *, case_id: str, expect: int, timeout: float = 30.0
    ) -> list[Envelope[Any]]:
        """Decoded events of one case on an output topic, read from the start."""
        consumer = AIOKafkaConsumer(
            topic,
            bootstrap_servers=self.bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        found: list[Envelope[Any]] = []
        try:
            deadline = time.monotonic() + timeout
            while len(found) < expect and time.monotonic() < deadline:
                batch = await consumer.getmany(timeout_ms=200)
                for records in batch.values():
                    for record in records:
                        if record.key == case_id.encode():
                            found.append(decode(REGISTRY, record.value, list(record.headers)))
        finally:
            await consumer.stop()
        return found


@pytest.fixture
async def world(database_url: str, kafka_bootstrap: str) -> AsyncIterator[FeedbackWorld]:
    suffix = uuid.uuid4().hex[:10]
    settings = FeedbackSettings.load(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"feedback-test-{suffix}",
        topic_names={
            topic.name: f"test-{topic.name.removeprefix('switchboard.')}-{suffix}"
            for topic in (CASES, ASSIGNMENTS, SLA)
        },
        survey_delay_seconds=SURVEY_DELAY_SECONDS,
        public_base_url="http://127.0.0.1:8004",
        region_time_zones={"nordics": "Europe/Copenhagen"},
        timer_poll_seconds=0.05,
        outbox_poll_seconds=0.1,
        topic_partitions=1,
    )
    service = assemble(DEFINITION, settings, migrate_first=True)
    app = service_app(service, HTTP_API)
    producer = make_producer(kafka_bootstrap)
    await service.runtime.start()
    await producer.start()
    transport = httpx.ASGITransport(app=app)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            yield FeedbackWorld(settings, client, producer, kafka_bootstrap)
    finally:
        await producer.stop()
        await service.runtime.stop()
