"""Routing on the real stack: PostgreSQL and Kafka from servicekit's test plugin, the real
app driven over ASGI, cases published to a fresh cases topic, events read back from the
assignments topic."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.contracts.events import REGISTRY, CaseOpened
from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.routing.service_layer.offers.loop import OfferLoop
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.service import Service, assemble, service_app
from switchboard.servicekit.testing.helpers import read_topic
from switchboard.servicekit.testing.topics import create_topics

SECRET = "integration-secret-for-routing-tests-0123456789"


@dataclass
class Replica:
    service: Service[RoutingSettings, Any]
    client: httpx.AsyncClient
    app: Any

    @property
    def offer_loop(self) -> OfferLoop:
        loop = self.service.deps.offers
        assert isinstance(loop, OfferLoop)
        return loop

    def headers(
        self, subject: str, role: str = "agent", regions: tuple[str, ...] = ()
    ) -> dict[str, str]:
        token = self.service.tokens.issue(subject=subject, role=role, regions=regions)
        return {"Authorization": f"Bearer {token}"}

    @property
    def admin(self) -> dict[str, str]:
        return self.headers("admin-1", "admin")

    async def hire(self, agent_id: str, **profile: Any) -> None:
        body = {"region": "nordics", "languages": ["da", "en"], **profile}
        response = await self.client.put(f"/v1/agents/{agent_id}", json=body, headers=self.admin)
        assert response.status_code == 200, response.text

    async def presence(self, agent_id: str, presence: str) -> httpx.Response:
        return await self.client.put(
            f"/v1/agents/{agent_id}/presence",
            json={"presence": presence},
            headers=self.headers(agent_id),
        )

    async def work(self, agent_id: str) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/v1/agents/{agent_id}/work", headers=self.headers(agent_id)
        )
        assert response.status_code == 200, response.text
        return response.json()

    async def act(
        self, agent_id: str, case_id: str, action: str, body: Any = None
    ) -> httpx.Response:
        return await self.client.post(
            f"/v1/cases/{case_id}/{action}", json=body, headers=self.headers(agent_id)
        )


@dataclass
class Stack:
    database_url: str
    kafka: str
    cases_topic: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    replicas: list[Replica] = field(default_factory=list)
    producer: AIOKafkaProducer | None = None

    async def open_case(self, case_id: str, **fields: Any) -> None:
        values: dict[str, Any] = {
            "case_id": case_id,
            "customer_id": f"cust-{case_id}",
            "region": "nordics",
            "channel": "chat",
            "opened_at": datetime.now(UTC),
            "first_contact_id": f"contact-{case_id}",
            "language": "da",
            "language_confidence": 0.9,
            "priority": 3,
            **fields,
        }
        record = encode(Envelope(data=CaseOpened(**values), source="/test/intake"))
        assert self.producer is not None
        await self.producer.send_and_wait(
            self.cases_topic, value=record.value, key=record.key, headers=record.headers
        )

    async def assignment_events(self, case_ids: set[str], expect: int) -> list[Any]:
        """Decoded events of these cases on the assignments topic, in topic order per case."""
        records = await read_topic(self.kafka, ASSIGNMENTS.name, expect=10**9, timeout=3.0)
        events = []
        for record in records:
            if record.key is None or record.key.decode() not in case_ids:
                continue
            events.append(decode(REGISTRY, record.value, list(record.headers)).data)
        assert len(events) >= expect, f"only {len(events)} events of {expect}"
        return events


@pytest.fixture
async def stack(database_url: str, kafka_bootstrap: str, topic_name: str) -> AsyncIterator[Stack]:
    await create_topics(kafka_bootstrap, [topic_name, ASSIGNMENTS.name], partitions=3)
    async_url = database_url.replace("postgresql://", "postgresql+asyncpg://", 1)
    built = Stack(async_url, kafka_bootstrap, topic_name)
    built.producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
    await built.producer.start()
    try:
        yield built
    finally:
        for replica in built.replicas:
            await replica.client.aclose()
            await replica.service.runtime.stop()
        await built.producer.stop()


@pytest.fixture
def start_replica(stack: Stack) -> Callable[..., Any]:
    async def start(
        name: str = "routing-1",
        policies_file: Path | None = None,
        *,
        pool_sharding: bool = True,
        **overrides: Any,
    ) -> Replica:
        settings = RoutingSettings(
            database_url=stack.database_url,
            kafka_bootstrap_servers=stack.kafka,
            topic_names={CASES.name: stack.cases_topic},
            consumer_group=f"routing-{stack.cases_topic}",
            replica_name=name,
            jwt_secret=SECRET,
            sync_seconds=0.05,
            timer_poll_seconds=0.05,
            outbox_poll_seconds=0.1,
            policies_file=policies_file,
            pool_sharding=pool_sharding,
            heartbeat_seconds=0.5,  # gone after 1.5 s without a beat, even on a busy machine
            environment="test",
            **overrides,
        )
        service = assemble(DEFINITION, settings, migrate_first=True)
        app = service_app(service, HTTP_API)
        await service.runtime.start()
        client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://routing.test"
        )
        replica = Replica(service, client, app)
        stack.replicas.append(replica)
        return replica

    return start


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"
