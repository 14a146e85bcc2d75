"""Intake's mail receiver in-process, on the embedded SQLite database: the standard library's
SMTP and LMTP clients (in a thread) hand it mail on a free loopback port."""

import asyncio
import smtplib
import socket
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from switchboard.contracts.events import CaseOpened, ContactReceived
from switchboard.intake.adapters.orm import ContactRow
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.mail_recipients import MailRecipients
from switchboard.intake.entrypoints.smtp_receiver import SmtpReceiver, with_smtp_receiver
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings, SmtpListener
from switchboard.servicekit.runtime import WarmingWorker

from .sealed_fields import unsealed

SUPPORT = "support@acme.test"


def message(message_id: str, *, in_reply_to: str = "", to: str = SUPPORT, body="Hello") -> bytes:
    headers = [
        "From: Ann Berg <ann@example.dk>",
        *([f"To: {to}"] if to else []),
        "Subject: Invoice",
        f"Message-ID: {message_id}",
        *([f"In-Reply-To: {in_reply_to}"] if in_reply_to else []),
        "Date: Sun, 06 Dec 2026 10:00:00 +0000",
    ]
    return ("\r\n".join(headers) + f"\r\n\r\n{body}\r\n").encode()


@pytest.fixture
async def mail_adapter(intake):
    async with intake.service.transaction() as uow:
        adapter, _ = await channel_adapters.register_adapter(
            session=uow.session,
            box=uow.deps.secret_box,
            spec=AdapterSpec(id="mail", channel="email", region="nordics"),
            now=datetime.now(UTC),
        )
    return adapter


@pytest.fixture
async def batcher(intake):
    """The group commit running, as the runtime runs it."""
    task = asyncio.create_task(intake.deps.batcher.run())
    await asyncio.sleep(0)
    yield intake.deps.batcher
    intake.deps.batcher.stop()
    await asyncio.wait_for(task, 10)


@pytest.fixture
async def listening(intake, mail_adapter, batcher):
    """Start a receiver (``smtp`` or ``lmtp``) on a free port; its (host, port)."""
    started: list[tuple[SmtpReceiver, asyncio.Task[None]]] = []

    async def start(protocol: str = "smtp") -> tuple[str, int]:
        listener = SmtpListener(
            host="127.0.0.1",
            port=0,
            protocol=protocol,
            max_message_bytes=4096,
            adapter_id="mail",
            recipients=MailRecipients.of(["acme.test", "help@other.test"]),
        )
        receiver = SmtpReceiver(intake.deps, listener)
        task = asyncio.create_task(receiver.run())
        started.append((receiver, task))
        for _ in range(200):
            if receiver.address is not None:
                return receiver.address
            await asyncio.sleep(0.01)
        raise AssertionError("the receiver did not start listening")

    yield start
    for receiver, task in started:
        receiver.stop()
        await asyncio.wait_for(task, 5)


async def send(address, raw: bytes, recipients=(SUPPORT,)) -> tuple[int, bytes]:
    """One message over SMTP (MAIL without SIZE, so the limit is met at DATA): DATA's reply."""

    def conversation() -> tuple[int, bytes]:
        with smtplib.SMTP(*address, timeout=10) as client:
            client.ehlo("mx.example.test")
            assert client.mail("ann@example.dk")[0] == 250
            for recipient in recipients:
                assert client.rcpt(recipient)[0] == 250
            return client.data(raw)

    return await asyncio.to_thread(conversation)


async def test_a_message_becomes_a_contact_committed_before_the_250(intake, listening):
    address = await listening()
    code, reply = await send(address, message("<m1@example.dk>"))
    assert code == 250, reply
    [opened] = await intake.published(CaseOpened)
    [received] = await intake.published(ContactReceived)
    received = await unsealed(intake, received)
    assert reply.decode().endswith(received.contact_id)
    assert (opened.region, received.outcome.value) == ("nordics", "opened")
    assert "m1@example.dk" in (received.provider_message_id or "")


async def test_a_reply_joins_its_case_and_a_resent_message_is_accepted_once(intake, listening):
    address = await listening()
    await send(address, message("<m1@example.dk>"))
    code, _ = await send(address, message("<m2@example.dk>", in_reply_to="<m1@example.dk>"))
    again, _ = await send(address, message("<m2@example.dk>", in_reply_to="<m1@example.dk>"))
    assert (code, again) == (250, 250)
    received = await intake.published(ContactReceived)
    assert [r.outcome.value for r in received] == ["opened", "joined"]
    assert received[0].case_id == received[1].case_id


async def test_a_bcc_copy_is_addressed_to_its_envelope_recipient(intake, listening):
    address = await listening()
    code, reply = await send(address, message("<b1@example.dk>", to=""))
    assert code == 250, reply
    async with intake.service.sessions() as session:
        request = await session.scalar(select(ContactRow.request))
    assert request["to"] == [SUPPORT]


async def test_an_auto_reply_is_taken_but_becomes_no_contact(intake, listening):
    address = await listening()
    auto_reply = b"Auto-Submitted: auto-replied\r\n" + message("<ooo@example.dk>")
    code, reply = await send(address, auto_reply)
    assert code == 250, reply
    assert b"ignored as auto_reply" in reply
    assert await intake.published(ContactReceived) == []


async def test_too_large_is_552_and_nothing_is_accepted(intake, listening):
    address = await listening()
    code, _ = await send(address, message("<big@example.dk>", body=("x" * 70 + "\r\n") * 100))
    assert code == 552
    assert await intake.published(ContactReceived) == []


async def test_a_recipient_not_ours_is_refused_so_nothing_is_relayed(listening):
    address = await listening()

    def conversation() -> list[int]:
        with smtplib.SMTP(*address, timeout=10) as client:
            client.ehlo("mx.example.test")
            client.mail("ann@example.dk")
            return [
                client.rcpt(to)[0]
                for to in ("someone@elsewhere.test", "other@other.test", "help@other.test")
            ]

    assert await asyncio.to_thread(conversation) == [550, 550, 250]


@pytest.mark.parametrize("raw", [b"\x00\xff\xfe not mail at all", b"Subject: no sender\r\n\r\nhi"])
async def test_what_is_not_an_e_mail_is_refused_for_good(intake, listening, raw):
    address = await listening()
    code, reply = await send(address, raw)
    assert code == 554, reply
    code, _ = await send(address, message("<after@example.dk>"))
    assert code == 250, "the receiver goes on"


async def test_an_unreachable_database_is_451_try_again_later(intake, listening, monkeypatch):
    address = await listening()
    locked = OperationalError("INSERT", {}, sqlite3.OperationalError("database is locked"))

    async def database_away(incoming):
        raise locked

    monkeypatch.setattr(intake.deps.batcher, "accept", database_away)
    code, reply = await send(address, message("<m1@example.dk>"))
    assert code == 451, reply


async def test_lmtp_answers_for_each_recipient(intake, listening):
    address = await listening("lmtp")

    def conversation() -> list[int]:
        with smtplib.LMTP(*address, timeout=10) as client:
            client.ehlo("mx.example.test")  # LHLO
            client.mail("ann@example.dk")
            client.rcpt(SUPPORT)
            client.rcpt("help@other.test")
            first, _ = client.data(message("<l1@example.dk>", to=f"{SUPPORT}, help@other.test"))
            second, _ = client.getreply()
            return [first, second]

    assert await asyncio.to_thread(conversation) == [250, 250]
    assert len(await intake.published(ContactReceived)) == 1, "the second is the same message"


async def test_not_ready_until_listening_and_stops_cleanly(intake, mail_adapter):
    listener = SmtpListener(
        host="127.0.0.1",
        port=0,
        protocol="smtp",
        max_message_bytes=4096,
        adapter_id="mail",
        recipients=MailRecipients.of(["acme.test"]),
    )
    receiver = SmtpReceiver(intake.deps, listener)
    assert receiver.not_ready_because() == "not listening on 127.0.0.1:0 yet"
    task = asyncio.create_task(receiver.run())
    while receiver.address is None:
        await asyncio.sleep(0.01)
    assert receiver.not_ready_because() is None
    host, port = receiver.address
    idle = await asyncio.to_thread(socket.create_connection, (host, port), 5)
    receiver.stop()
    await asyncio.wait_for(task, 5)
    assert receiver.not_ready_because() is not None
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((host, port), 1).close()
    idle.close()


def test_settings_say_where_it_listens_and_for_whom(monkeypatch):
    assert IntakeSettings.load().smtp_listener() is None, "off unless enabled"
    with pytest.raises(ValidationError, match="smtp_adapter_id and smtp_recipients"):
        IntakeSettings.load(smtp_enabled=True)
    monkeypatch.setenv("SWITCHBOARD_INTAKE_SMTP_RECIPIENTS", "acme.test, Help@Other.test")
    listener = IntakeSettings.load(smtp_enabled=True, smtp_adapter_id="mail").smtp_listener()
    assert listener is not None
    assert (listener.host, listener.port, listener.protocol) == ("127.0.0.1", 2525, "smtp")
    assert listener.recipients.accepts("anyone@ACME.test")
    assert listener.recipients.accepts("help@other.test")
    assert not listener.recipients.accepts("sales@other.test")


async def test_the_receiver_is_a_worker_only_when_enabled(intake):
    workers = with_smtp_receiver(DEFINITION).workers
    assert not any(isinstance(w, SmtpReceiver) for w in workers(intake.deps))
    deps = replace(
        intake.deps,
        smtp_listener=IntakeSettings.load(
            smtp_enabled=True, smtp_adapter_id="mail", smtp_recipients="acme.test"
        ).smtp_listener(),
    )
    [receiver] = [w for w in workers(deps) if isinstance(w, SmtpReceiver)]
    assert isinstance(receiver, WarmingWorker)
    assert receiver.not_ready_because() == "not listening on 127.0.0.1:2525 yet"
