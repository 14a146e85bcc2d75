"""Intake's mail receiver on the real stack: a message handed over SMTP becomes a case whose
events reach Kafka; while PostgreSQL is down the receiver answers 451 (try again later) and
the same message, sent again once it is back, is accepted.

Its own PostgreSQL cluster: killing the session's shared one would break other tests."""

from __future__ import annotations

import asyncio
import shutil
import smtplib
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from switchboard.contracts.events import CaseOpened, ContactReceived
from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.intake.adapters.orm import ContactRow
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.entrypoints.smtp_receiver import SmtpReceiver, with_smtp_receiver
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.service import ServiceDefinition, assemble
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.topics import create_topics

from .conftest import IntakeHarness

pytestmark = [pytest.mark.integration, pytest.mark.timeout(180)]

ADAPTER = "mail-smtp"


@pytest.fixture
def cluster() -> Iterator[PostgresCluster]:
    path = Path(tempfile.mkdtemp(prefix="switchboard-smtp-"))
    path.chmod(0o755)
    server = PostgresCluster(path, durable=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
async def receiving(
    cluster: PostgresCluster, kafka_bootstrap: str, definition: ServiceDefinition[Any, Any]
) -> AsyncIterator[tuple[IntakeHarness, tuple[str, int]]]:
    await create_topics(kafka_bootstrap, [CASES.name, ASSIGNMENTS.name])
    settings = IntakeSettings.load(
        database_url=cluster.create_database("intake"),
        kafka_bootstrap_servers=kafka_bootstrap,
        consumer_group=f"intake-test-{uuid.uuid4().hex[:8]}",
        environment="test",
        outbox_poll_seconds=0.2,
        adapter_cache_seconds=0,
        smtp_enabled=True,
        smtp_port=0,
        smtp_adapter_id=ADAPTER,
        smtp_recipients="acme.test",
    )
    service = assemble(with_smtp_receiver(definition), settings, migrate_first=True)
    await service.runtime.start()
    try:
        async with service.transaction() as uow:
            await channel_adapters.register_adapter(
                session=uow.session,
                box=uow.deps.secret_box,
                spec=AdapterSpec(id=ADAPTER, channel="email", region="nordics"),
                now=datetime.now(UTC),
            )
        [receiver] = [w for w in service.runtime.workers if isinstance(w, SmtpReceiver)]
        readiness = await eventually(service.runtime.readiness, timeout=20)
        assert readiness.ready, readiness.checks
        assert readiness.checks["smtp receiver"] == "ok"
        assert receiver.address is not None
        harness = IntakeHarness(service, None, kafka_bootstrap, int(time.time() * 1000))  # type: ignore[arg-type]
        yield harness, receiver.address
    finally:
        await service.runtime.stop()


def raw_email(message_id: str) -> bytes:
    return (
        "From: Ann Berg <ann@example.dk>\r\nTo: support@acme.test\r\nSubject: Faktura\r\n"
        f"Message-ID: <{message_id}>\r\n\r\nHej, min faktura er forkert.\r\n"
    ).encode()


async def send(address: tuple[str, int], raw: bytes) -> tuple[int, bytes]:
    def conversation() -> tuple[int, bytes]:
        with smtplib.SMTP(*address, timeout=30) as client:
            client.ehlo("mx.example.test")
            client.mail("ann@example.dk")
            assert client.rcpt("support@acme.test")[0] == 250
            return client.data(raw)

    return await asyncio.to_thread(conversation)


async def test_mail_becomes_a_case_on_kafka_and_waits_out_a_database_crash(
    receiving: tuple[IntakeHarness, tuple[str, int]], cluster: PostgresCluster
):
    intake, address = receiving
    token = uuid.uuid4().hex
    code, reply = await send(address, raw_email(f"first-{token}@example.dk"))
    assert code == 250, reply
    contact_id = reply.decode().rsplit(" ", 1)[-1]

    await asyncio.to_thread(cluster.kill)
    try:
        code, reply = await send(address, raw_email(f"second-{token}@example.dk"))
        assert code == 451, reply
    finally:
        await asyncio.to_thread(cluster.start)

    async def resent() -> bool:
        code, _ = await send(address, raw_email(f"second-{token}@example.dk"))
        return code == 250

    assert await eventually(resent, timeout=30, interval=0.5)

    async with intake.service.sessions() as session:
        case_id = await session.scalar(select(ContactRow.case_id).filter_by(id=contact_id))
    events = await intake.case_events(
        lambda e: isinstance(e.data, CaseOpened | ContactReceived) and e.data.case_id == case_id,
        until=lambda found: sum(isinstance(e.data, ContactReceived) for e in found) >= 2,
    )
    events = list({e.id: e for e in events}.values())  # the relay may publish twice in a crash
    received = [e.data for e in events if isinstance(e.data, ContactReceived)]
    assert received[0].contact_id == contact_id
    assert [r.outcome.value for r in received] == ["opened", "joined"]
    assert [e.data.region for e in events if isinstance(e.data, CaseOpened)] == ["nordics"]
