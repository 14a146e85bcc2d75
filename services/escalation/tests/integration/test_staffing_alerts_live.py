"""A pool short of agents on the real stack: routing's StaffingShortfall on
switchboard.staffing becomes a staffing alert on the escalations topic, on the live stream
of the region's coordinator (not another region's) and at their signed webhook; a
coordinator of the region acknowledges it over the API; StaffingRecovered resolves it."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import StaffingRecovered, StaffingShortfall
from switchboard.contracts.topics import (
    ASSIGNMENTS,
    CASES,
    ESCALATIONS,
    FEEDBACK_ALERTS,
    SLA,
    STAFFING,
)
from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.auth import Role
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import assemble, service_app
from switchboard.servicekit.testing.receiver import SignedReceiver, serving
from switchboard.servicekit.testing.topics import create_topics

from ..conftest import WEBHOOK_SECRET, escalation_config
from .test_breach_to_coordinator import follow_stream

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def staffing(kind: type, pool: str, at: datetime, available: int) -> Any:
    return kind(
        pool=pool,
        region=pool.partition("/")[0],
        department=pool.partition("/")[2],
        interval_start=at - timedelta(minutes=15),
        interval_seconds=900,
        arrivals=50,
        average_handle_seconds=180,
        load_erlangs=10,
        target_share=0.8,
        target_answer_seconds=20,
        agents_required=14,
        agents_available=available,
        expected_service_level=0.0 if available < 14 else 0.89,
        assessed_at=at,
    )


async def send(bootstrap: str, event: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        record = encode(Envelope(data=event, source="/switchboard/routing"))
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()


async def until(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_a_shortfall_reaches_the_regions_coordinator_and_recovery_resolves_it(
    database_url: str, kafka_bootstrap: str, tmp_path: Path
) -> None:
    await create_topics(
        kafka_bootstrap,
        [
            CASES.name,
            ASSIGNMENTS.name,
            FEEDBACK_ALERTS.name,
            SLA.name,
            ESCALATIONS.name,
            STAFFING.name,
        ],
    )
    receiver = SignedReceiver(secret=WEBHOOK_SECRET)
    receiver_port, service_port = free_port(), free_port()
    config_file = tmp_path / "escalation.yaml"
    config_file.write_text(escalation_config(webhooks=f"http://127.0.0.1:{receiver_port}"))
    settings = DEFINITION.settings.load(
        database_url=database_url,
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"escalation-test-{uuid.uuid4().hex[:8]}",
        environment="test",
        config_file=config_file,
        outbox_poll_seconds=0.2,
        timer_poll_seconds=0.1,
        webhook_poll_seconds=0.1,
        sse_heartbeat_seconds=1.0,
    )
    service = assemble(DEFINITION, settings, migrate_first=True)
    app = service_app(service, HTTP_API)
    nora = service.tokens.issue(subject="nora", role=Role.COORDINATOR, regions=["nordics"])
    camille = service.tokens.issue(subject="camille", role=Role.COORDINATOR, regions=["france"])
    pool = f"nordics/billing{uuid.uuid4().hex[:6]}"
    nora_stream: list[dict[str, Any]] = []
    camille_stream: list[dict[str, Any]] = []

    async with (
        serving(receiver.app(), receiver_port),
        serving(app, service_port),
        httpx.AsyncClient(base_url=f"http://127.0.0.1:{service_port}", timeout=30) as client,
    ):
        await asyncio.wait_for(service.deps.live_feed.ready.wait(), 30)
        connected = [asyncio.Event(), asyncio.Event()]
        tasks = [
            asyncio.create_task(follow_stream(client, nora, nora_stream, connected[0])),
            asyncio.create_task(follow_stream(client, camille, camille_stream, connected[1])),
        ]
        as_nora = {"authorization": f"Bearer {nora}"}
        as_camille = {"authorization": f"Bearer {camille}"}
        try:
            await asyncio.wait_for(asyncio.gather(*(c.wait() for c in connected)), 10)
            await send(kafka_bootstrap, staffing(StaffingShortfall, pool, datetime.now(UTC), 11))

            async def alerted() -> bool:
                return any(e["type"].endswith("staffing-alert.raised") for e in nora_stream)

            await until(alerted)
            (raised,) = [e for e in nora_stream if e["type"].endswith("staffing-alert.raised")]
            assert (raised["pool"], raised["agents_required"], raised["agents_available"]) == (
                pool,
                14,
                11,
            )
            listed = (await client.get("/v1/staffing-alerts", headers=as_nora)).json()
            assert [a["alert_id"] for a in listed] == [raised["alert_id"]]

            path = f"/v1/staffing-alerts/{raised['alert_id']}/acknowledge"
            refused = await client.post(path, json={}, headers=as_camille)
            assert refused.status_code == 403
            assert refused.headers["content-type"] == "application/problem+json"
            taken = await client.post(path, json={"note": "on it"}, headers=as_nora)
            assert taken.status_code == 200, taken.text

            await send(kafka_bootstrap, staffing(StaffingRecovered, pool, datetime.now(UTC), 15))

            async def resolved() -> bool:
                return any(e["type"].endswith("staffing-alert.resolved") for e in nora_stream)

            await until(resolved)
            assert (await client.get("/v1/staffing-alerts", headers=as_nora)).json() == []

            async def delivered() -> bool:
                return sum(".staffing-alert." in p["type"] for _, p, _ in receiver.received) >= 6

            await until(delivered)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    # The stream and the webhooks also carry the region's case escalations: this service
    # reads the session broker's topics, where an earlier test's case in "nordics" can
    # still breach and escalate while this test runs.
    alerts = [e["type"] for e in nora_stream if ".staffing-alert." in e["type"]]
    assert alerts == [
        "switchboard.staffing-alert.raised",
        "switchboard.staffing-alert.acknowledged",
        "switchboard.staffing-alert.resolved",
    ]
    assert camille_stream == []
    assert receiver.forged == 0
    hooks = sorted(
        (who, payload["type"])
        for who, payload, _ in receiver.received
        if ".staffing-alert." in payload["type"]
    )
    assert hooks == sorted(
        (who, f"switchboard.staffing-alert.{what}")
        for who in ("magnus", "nora")
        for what in ("raised", "acknowledged", "resolved")
    )
