"""The whole path on the real stack: a case that nobody answers breaches its first-response
target in business time; warnings, breach and an escalation to the coordinator of its region
arrive on Kafka, on the coordinator's live stream and at a webhook receiver that verifies
the Standard Webhooks signature; unacknowledged it moves up a level, acknowledged it stops."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from switchboard.contracts.envelope import Envelope, decode, encode
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.topics import ASSIGNMENTS, CASES, ESCALATIONS, FEEDBACK_ALERTS, SLA
from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.auth import Role
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import assemble, service_app
from switchboard.servicekit.testing.key_holder import KeyHolder
from switchboard.servicekit.testing.receiver import SignedReceiver, serving
from switchboard.servicekit.testing.topics import create_topics

from ..conftest import WEBHOOK_SECRET, case_opened, escalation_config

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]


class TopicWatcher:
    """Collects, from the start of the SLA and escalations topics, the events of one case."""

    def __init__(self, bootstrap_servers: str, case_id: str) -> None:
        self.case_id = case_id
        self.events: list[Envelope[Any]] = []
        self._consumer = AIOKafkaConsumer(
            SLA.name,
            ESCALATIONS.name,
            bootstrap_servers=bootstrap_servers,
            group_id=None,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )

    async def run(self) -> None:
        await self._consumer.start()
        try:
            while True:
                for records in (await self._consumer.getmany(timeout_ms=100)).values():
                    for record in records:
                        envelope = decode(REGISTRY, record.value, list(record.headers))
                        if getattr(envelope.data, "case_id", None) == self.case_id:
                            self.events.append(envelope)
        finally:
            await self._consumer.stop()

    def of_type(self, suffix: str) -> list[Any]:
        return [e.data for e in self.events if e.type.endswith(suffix)]

    async def wait_for(self, suffix: str, count: int = 1, timeout: float = 30) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(self.of_type(suffix)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"no {count} x {suffix} in {[e.type for e in self.events]}")
            await asyncio.sleep(0.05)
        return self.of_type(suffix)


async def follow_stream(
    client: httpx.AsyncClient, token: str, into: list[dict[str, Any]], connected: asyncio.Event
) -> None:
    headers = {"authorization": f"Bearer {token}"}
    async with client.stream("GET", "/v1/escalations/stream", headers=headers) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_type = None
        async for line in response.aiter_lines():
            if line.startswith(": connected"):
                connected.set()
            elif line.startswith("event: "):
                event_type = line.removeprefix("event: ")
            elif line.startswith("data: "):
                into.append({"type": event_type, **json.loads(line.removeprefix("data: "))})


def business_calendar_with_a_gap(start: datetime) -> str:
    """Open all week, except a two-second closure two seconds after `start` (UTC)."""

    def clock(at: datetime) -> str:
        return at.strftime("%H:%M:%S")

    day = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"][start.weekday()]
    closed_from, opens_again = start + timedelta(seconds=2), start + timedelta(seconds=4)
    today = f'["00:00-{clock(closed_from)}", "{clock(opens_again)}-24:00"]'
    others = ", ".join(
        f'{d}: ["00:00-24:00"]'
        for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
        if d != day
    )
    return f"""
    timezone: UTC
    hours: {{{day}: {today}, {others}}}"""


async def test_an_unanswered_case_breaches_and_reaches_its_coordinator(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    if (now + timedelta(seconds=60)).date() != now.date():
        pytest.skip("too close to midnight UTC for a same-day calendar gap")
    await create_topics(
        kafka_bootstrap,
        [CASES.name, ASSIGNMENTS.name, FEEDBACK_ALERTS.name, SLA.name, ESCALATIONS.name],
    )
    receiver = SignedReceiver(secret=WEBHOOK_SECRET, flaky={"magnus"})
    receiver_port, service_port, key_port = free_port(), free_port(), free_port()
    keys = KeyHolder()  # intake's data keys: the coordinator's note goes out sealed
    opened_at = (now + timedelta(seconds=8)).replace(microsecond=0)
    config_file = tmp_path / "escalation.yaml"
    config_file.write_text(
        escalation_config(
            webhooks=f"http://127.0.0.1:{receiver_port}",
            nordics_calendar=business_calendar_with_a_gap(opened_at),
        )
    )
    settings = DEFINITION.settings.load(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"escalation-test-{uuid.uuid4().hex[:8]}",
        environment="test",
        config_file=config_file,
        outbox_poll_seconds=0.2,
        timer_poll_seconds=0.1,
        webhook_first_retry_seconds=0.2,
        webhook_poll_seconds=0.1,
        sse_heartbeat_seconds=1.0,
        intake_url=f"http://127.0.0.1:{key_port}",
    )
    service = assemble(DEFINITION, settings, migrate_first=True)
    app = service_app(service, HTTP_API)
    # A gold customer: first response within 4 business seconds (premium policy), no VIP rule.
    opened = case_opened(at=opened_at, tier="gold")
    watcher = TopicWatcher(kafka_bootstrap, opened.case_id)
    tokens = service.tokens
    nora = tokens.issue(subject="nora", role=Role.COORDINATOR, regions=["nordics"])
    magnus = tokens.issue(subject="magnus", role=Role.COORDINATOR, regions=["nordics"])
    camille = tokens.issue(subject="camille", role=Role.COORDINATOR, regions=["france"])
    admin = tokens.issue(subject="root", role=Role.ADMIN, regions=[])
    nora_stream: list[dict[str, Any]] = []
    camille_stream: list[dict[str, Any]] = []

    async with (
        serving(receiver.app(), receiver_port),
        serving(app, service_port),
        serving(keys.app(), key_port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{service_port}", timeout=30) as client,
    ):
        await asyncio.wait_for(service.deps.live_feed.ready.wait(), 30)
        connected = [asyncio.Event(), asyncio.Event()]
        tasks = [
            asyncio.create_task(watcher.run()),
            asyncio.create_task(follow_stream(client, nora, nora_stream, connected[0])),
            asyncio.create_task(follow_stream(client, camille, camille_stream, connected[1])),
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), 10)
            producer = AIOKafkaProducer(bootstrap_servers=kafka_bootstrap)
            await producer.start()
            try:
                record = encode(Envelope(data=opened, source="/test/intake"))
                await producer.send_and_wait(
                    record.topic, record.value, key=record.key, headers=record.headers
                )
            finally:
                await producer.stop()

            # SLA: 4 business seconds = 2 open, 2 closed, 2 open → breach 6 s after opening.
            warnings = await watcher.wait_for("sla.warned", 2)
            (breach,) = await watcher.wait_for("sla.breached")
            assert [(w.metric, w.fraction) for w in warnings] == [
                ("first_response", 0.5),
                ("first_response", 0.75),
            ]
            assert warnings[0].due_at == opened_at + timedelta(seconds=2)
            assert warnings[1].due_at == opened_at + timedelta(seconds=5)
            assert breach.due_at == opened_at + timedelta(seconds=6)
            assert breach.breached_at - breach.due_at < timedelta(seconds=1)

            (raised,) = await watcher.wait_for("escalation.raised")
            assert (raised.trigger, raised.level, raised.region) == ("sla_breach", 1, "nordics")
            assert [t.id for t in raised.targets] == ["nora"]

            # Nobody acknowledges within 3 s: the escalation moves up to the manager.
            (moved,) = await watcher.wait_for("escalation.escalated")
            assert (moved.from_level, moved.to_level) == (1, 2)
            assert [t.id for t in moved.targets] == ["magnus"]
            assert moved.escalated_at - raised.ack_deadline < timedelta(seconds=1)

            forbidden = await client.post(
                f"/v1/escalations/{raised.escalation_id}/acknowledge",
                json={},
                headers={"authorization": f"Bearer {camille}"},
            )
            assert forbidden.status_code == 404
            assert forbidden.headers["content-type"] == "application/problem+json"
            acknowledged = await client.post(
                f"/v1/escalations/{raised.escalation_id}/acknowledge",
                json={"note": "mine"},
                headers={"authorization": f"Bearer {magnus}"},
            )
            assert acknowledged.status_code == 200, acknowledged.text
            assert acknowledged.json()["status"] == "acknowledged"
            (taken,) = await watcher.wait_for("escalation.acknowledged")
            assert taken.note is None
            assert keys.open(taken.sealed) == {"note": "mine"}

            await asyncio.sleep(4)  # longer than the level's 3 s: nothing moves any more
            assert len(watcher.of_type("escalation.escalated")) == 1

            deadline = time.monotonic() + 20
            while len(receiver.received) < 3 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        stream_types = [event["type"] for event in nora_stream]
        assert stream_types[:3] == [
            "switchboard.escalation.raised",
            "switchboard.escalation.escalated",
            "switchboard.escalation.acknowledged",
        ]
        assert all(event["escalation_id"] == raised.escalation_id for event in nora_stream)
        assert camille_stream == []

        assert receiver.forged == 0
        hooks = [(who, payload["type"]) for who, payload, _ in receiver.received]
        assert ("nora", "switchboard.escalation.raised") in hooks
        assert ("magnus", "switchboard.escalation.escalated") in hooks
        assert receiver.refused  # magnus's endpoint failed once and the sender retried

        metrics = (await client.get("/metrics")).text
        assert 'escalation_sla_thresholds_fired_total{kind="breach",metric="first_response"}' in (
            metrics
        )
        assert 'escalation_escalations_raised_total{trigger="sla_breach"}' in metrics
        listing = await client.get(
            "/v1/escalations", headers={"authorization": f"Bearer {camille}"}
        )
        assert listing.json() == []
        deliveries = await client.get(
            "/v1/admin/webhook-deliveries", headers={"authorization": f"Bearer {admin}"}
        )
        to_magnus = [
            d
            for d in deliveries.json()
            if d["coordinator_id"] == "magnus"
            and d["event_type"] == "switchboard.escalation.escalated"
        ]
        assert [(d["status"], d["attempts"]) for d in to_magnus] == [("delivered", 2)]
