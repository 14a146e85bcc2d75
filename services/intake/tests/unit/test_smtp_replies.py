"""Replies by e-mail through the team's own mail server, in-process on SQLite with a real
SMTP server (aiosmtpd) on loopback as the relay: an e-mail adapter registered with its
relay hands the holding agent's reply to it — logged in, from the team's address, to the
customer, threaded (Message-ID, In-Reply-To, References), text with the sanitised HTML as
its alternative — and the reply is sent; a recipient the relay refuses for good fails the
reply at once in the relay's words; a busy relay is tried again; the password is sealed
and never shown."""

from __future__ import annotations

import asyncio
import email
import uuid
from datetime import UTC, datetime
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged
from switchboard.intake.adapters.orm import AdapterRow
from switchboard.intake.domain.signatures import sign
from switchboard.intake.domain.smtp_sends import SmtpRelay, mail_message
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.tables import delivery_attempts

from ..builders import assigned
from .people_and_adapters import bearer, post
from .test_replies import client, quick, quick_now, send_until_settled  # noqa: F401

PASSWORD = "relay-password-0123456789"


class Relay:
    """Takes mail for anyone but ``gone@`` (550) and ``busy@`` (451 the first time)."""

    def __init__(self) -> None:
        self.taken: list[tuple[str, list[str], bytes]] = []
        self.busy_once = True

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("gone@"):
            return "550 5.1.1 <gone@example.dk>: Recipient address rejected: User unknown"
        if address.startswith("busy@") and self.busy_once:
            self.busy_once = False
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.taken.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued as 4F2A1"


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok and auth_data.login == b"support", handled=False)


@pytest.fixture
def relay():
    handler = Relay()
    controller = Controller(
        handler,
        hostname="127.0.0.1",
        port=free_port(),
        authenticator=authenticator,
        auth_require_tls=False,
    )
    controller.start()
    yield handler, controller.port
    controller.stop()


async def register_relay_adapter(client, admin, port: int, password: str = PASSWORD) -> dict:  # noqa: F811
    spec = {
        "id": "mail-relay",
        "channel": "email",
        "region": "nordics",
        "provider": "smtp",
        "credentials": {
            "host": "127.0.0.1",
            "port": port,
            "security": "none",
            "username": "support",
            "password": password,
            "from_address": "Support@Acme.test",
            "from_name": "Acme Kundeservice",
        },
    }
    registered = await client.post("/v1/admin/adapters", json=spec, headers=admin)
    assert registered.status_code == 201, registered.text
    assert password not in registered.text
    return registered.json()


async def open_case(client, adapter: dict, sender: str) -> str:  # noqa: F811
    contact = {
        "sender": sender,
        "to": ["support@acme.test"],
        "subject": "Faktura 1234",
        "text_body": "Hej, min faktura er forkert.",
        "message_id": f"<m1.{sender}>",
        "references": ["<m0@example.dk>"],
    }
    return (await post(client, adapter, contact))["case_id"]


async def test_a_reply_is_handed_to_the_team_s_mail_server_threaded(quick, client, relay):  # noqa: F811
    handler, port = relay
    admin = bearer(quick, "ops", "admin")
    adapter = await register_relay_adapter(client, admin, port)
    async with quick.deps.sessions() as session:
        row = await session.get(AdapterRow, adapter["id"])
    assert PASSWORD not in row.provider_credential
    listed = await client.get("/v1/admin/adapters", headers=admin)
    assert PASSWORD not in listed.text

    case_id = await open_case(client, adapter, "ann@example.dk")
    await quick.deliver(assigned(case_id, "a1", quick_now()))
    text = {
        "text": "Hej Ann, vi har rettet fakturaen.",
        "html": "<p>Rettet<script>x()</script></p>",
    }
    agent = bearer(quick, "a1", "agent")
    posted = await client.post(f"/v1/cases/{case_id}/replies", json=text, headers=agent)
    assert posted.status_code == 202, posted.text
    reply = posted.json()
    await send_until_settled(quick, rounds=10)

    [(mail_from, rcpt_tos, content)] = handler.taken
    assert (mail_from, rcpt_tos) == ("support@acme.test", ["ann@example.dk"])
    message = email.message_from_bytes(content, policy=policy.default)
    assert message["From"] == "Acme Kundeservice <support@acme.test>"
    assert message["To"] == "ann@example.dk"
    assert message["Subject"] == "Re: Faktura 1234"
    assert message["Message-ID"] == reply["message_id"]
    assert message["In-Reply-To"] == "<m1.ann@example.dk>"
    assert message["References"] == "<m0@example.dk> <m1.ann@example.dk>"
    assert message["Auto-Submitted"] == "no"
    assert message.get_body(("plain",)).get_content().strip() == text["text"]
    assert message.get_body(("html",)).get_content().strip() == "<p>Rettet</p>"
    [change] = await quick.published(ReplyDeliveryChanged)
    assert (change.reply_id, change.state) == (reply["reply_id"], "sent")


async def test_the_relay_s_refusals_fail_or_retry_the_reply(quick, client, relay):  # noqa: F811
    handler, port = relay
    admin = bearer(quick, "ops", "admin")
    adapter = await register_relay_adapter(client, admin, port)
    agent = bearer(quick, "a1", "agent")
    posted = {}
    for customer in ("gone@example.dk", "busy@example.dk"):
        case_id = await open_case(client, adapter, customer)
        await quick.deliver(assigned(case_id, "a1", quick_now()))
        answer = await client.post(
            f"/v1/cases/{case_id}/replies", json={"text": "Hej"}, headers=agent
        )
        assert answer.status_code == 202, answer.text
        posted[customer] = answer.json()["reply_id"]
    for _ in range(10):
        await send_until_settled(quick, rounds=3)
        await asyncio.sleep(0.1)
        states = {c.reply_id: c for c in await quick.published(ReplyDeliveryChanged)}
        if len(states) == 2:
            break
    gone, busy = states[posted["gone@example.dk"]], states[posted["busy@example.dk"]]
    assert gone.state == "failed"
    assert gone.reason == (
        "the mail server refused it: 5.1.1 <gone@example.dk>: Recipient address rejected: "
        "User unknown (SMTP 550)"
    )
    assert busy.state == "sent", "a 451 is tried again"
    assert [to for _, to, _ in handler.taken] == [["busy@example.dk"]]
    async with quick.deps.sessions() as session:
        log = (await session.execute(select(delivery_attempts))).all()
    assert sorted(a.status_code for a in log) == [250, 451, 550]
    assert all(PASSWORD not in (a.error or "") for a in log)


async def test_a_wrong_login_fails_the_reply_without_showing_the_password(quick, client, relay):  # noqa: F811
    _, port = relay
    admin = bearer(quick, "ops", "admin")
    adapter = await register_relay_adapter(client, admin, port, password="not-the-password")
    case_id = await open_case(client, adapter, "ann@example.dk")
    await quick.deliver(assigned(case_id, "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    await client.post(f"/v1/cases/{case_id}/replies", json={"text": "Hej"}, headers=agent)
    await send_until_settled(quick, rounds=5)
    [change] = await quick.published(ReplyDeliveryChanged)
    assert change.state == "failed"
    assert "SMTP 535" in change.reason
    assert "not-the-password" not in change.reason


@pytest.mark.parametrize(
    "credentials",
    [
        {"host": "127.0.0.1", "from_address": "support@acme.test", "username": "only-user"},
        {"host": "not a host", "from_address": "support@acme.test"},
        {"host": "127.0.0.1", "from_address": "not an address"},
        {"host": "127.0.0.1", "port": 0, "from_address": "support@acme.test"},
    ],
)
async def test_a_relay_that_cannot_be_is_refused(quick, client, credentials):  # noqa: F811
    spec = {"id": "mail-x", "channel": "email", "provider": "smtp", "credentials": credentials}
    answer = await client.post("/v1/admin/adapters", json=spec, headers=bearer(quick, "o", "admin"))
    assert answer.status_code == 422, answer.text


def test_a_survey_request_by_mail_is_auto_generated_with_its_link_and_attachments_as_links():
    relay = SmtpRelay(host="127.0.0.1", from_address="support@acme.test")
    document = {
        "kind": "survey",
        "posted_at": "2026-12-07T09:30:00+00:00",
        "text": "Hvordan gik det?",
        "link": "https://survey.acme.test/s/1",
        "to": ["ann@example.dk"],
        "subject": "Din mening",
        "message_id": "<s1@mail.acme.test>",
        "in_reply_to": None,
        "references": [],
        "attachments": [
            {"filename": "vilkår.pdf", "url": "https://files.acme.test/v.pdf"},
        ],
    }
    message = email.message_from_string(mail_message(document, relay), policy=policy.default)
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["From"] == "support@acme.test"
    assert message["Date"] == "Mon, 07 Dec 2026 09:30:00 +0000"
    assert "In-Reply-To" not in message
    assert message.get_body(("plain",)).get_content().strip() == (
        "Hvordan gik det?\n\nhttps://survey.acme.test/s/1\n\n"
        "- vilkår.pdf: https://files.acme.test/v.pdf"
    )


def dsn(returned_id: str, action: str = "failed", *, headers_only: bool = True) -> bytes:
    """A bounce as Postfix's bounce(8) writes one (RFC 3464: a human part, the
    ``message/delivery-status`` part, the returned headers) — or, with ``headers_only``
    False, with the whole message returned as ``message/rfc822`` and the recipient folded
    as in rgl/MailBounceDetector's README sample of a Gmail rejection."""
    returned = (
        "Content-Type: text/rfc822-headers\n\n"
        f"From: Acme Kundeservice <support@acme.test>\nMessage-ID: {returned_id}\n"
        "Subject: Re: Faktura 1234\n"
        if headers_only
        else "Content-Type: message/rfc822\n\n"
        f"From: support@acme.test\nMessage-ID: {returned_id}\nSubject: Re: Faktura 1234\n\n"
        "Hej Ann\n"
    )
    return (
        "Return-Path: <>\n"
        "From: MAILER-DAEMON@mx.acme.test (Mail Delivery System)\n"
        "To: support@acme.test\n"
        "Subject: Undelivered Mail Returned to Sender\n"
        "Message-ID: <20261207101501.4F2A1@mx.acme.test>\n"
        "MIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\n"
        "This is the mail system at host mx.acme.test.\n\n"
        "I'm sorry to have to inform you that your message could not\nbe delivered.\n\n"
        "--B\nContent-Type: message/delivery-status\n\n"
        "Reporting-MTA: dns; mx.acme.test\nArrival-Date: Mon,  7 Dec 2026 10:15:00 +0100\n\n"
        "Final-Recipient: RFC822;\n ann@example.dk\n"
        f"Action: {action}\nStatus: 5.1.1\nRemote-MTA: dns; mx.example.dk\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <ann@example.dk>: Recipient address\n"
        "    rejected: User unknown in virtual mailbox table\n\n"
        f"--B\n{returned}\n--B--\n"
    ).encode()


async def test_a_bounce_of_a_sent_reply_fails_it_in_the_mail_system_s_words(quick, client, relay):  # noqa: F811
    _, port = relay
    admin = bearer(quick, "ops", "admin")
    adapter = await register_relay_adapter(client, admin, port)
    case_id = await open_case(client, adapter, "ann@example.dk")
    await quick.deliver(assigned(case_id, "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    posted = await client.post(f"/v1/cases/{case_id}/replies", json={"text": "Hej"}, headers=agent)
    reply = posted.json()
    await send_until_settled(quick, rounds=5)
    [sent] = await quick.published(ReplyDeliveryChanged)
    assert sent.state == "sent"

    async def bounce(raw: bytes) -> dict:
        headers = sign(
            secret=adapter["secret"], webhook_id=uuid.uuid4().hex, body=raw, at=datetime.now(UTC)
        )
        answer = await client.post(
            f"/v1/adapters/{adapter['id']}/contacts/email",
            content=raw,
            headers={"content-type": "message/rfc822", **headers},
        )
        assert answer.status_code == 202, answer.text
        assert answer.json()["outcome"] == "ignored_bounce"
        return answer.json()

    assert (await bounce(dsn(reply["message_id"], "delayed")))["failed_reply_id"] is None
    assert (await bounce(dsn("<someone-else@mail.acme.test>")))["failed_reply_id"] is None
    assert await quick.published(ReplyDeliveryChanged) == [sent]
    taken = await bounce(dsn(reply["message_id"], headers_only=False))
    assert taken["failed_reply_id"] == reply["reply_id"]
    failed = (await quick.published(ReplyDeliveryChanged))[-1]
    assert (failed.reply_id, failed.state) == (reply["reply_id"], "failed")
    assert failed.reason == (
        "returned by the mail system: ann@example.dk: 5.1.1 550 5.1.1 <ann@example.dk>: "
        "Recipient address rejected: User unknown in virtual mailbox table"
    )
    again = await bounce(dsn(reply["message_id"]))  # the same bounce twice changes nothing more
    assert again["failed_reply_id"] == reply["reply_id"]
    assert len(await quick.published(ReplyDeliveryChanged)) == 2
    page = await client.get(f"/v1/cases/{case_id}/messages", headers=agent)
    last = page.json()["messages"][-1]
    assert (last["delivery"], last["delivery_error"]) == ("failed", failed.reason)
    assert len(await quick.published(ContactReceived)) == 1, "bounces open no case"


def test_a_subject_with_line_breaks_goes_out_on_one_line():
    relay = SmtpRelay(host="127.0.0.1", from_address="support@acme.test", from_name="Acme\nKS")
    document = {
        "kind": "reply",
        "posted_at": "2026-12-07T09:30:00+00:00",
        "text": "Hej",
        "to": ["ann@example.dk"],
        "subject": "Re: a\nb\u2028c\rd",  # the customer's encoded word spelt a line break
        "message_id": "<r1@mail.acme.test>",
        "attachments": [],
    }
    message = email.message_from_string(mail_message(document, relay), policy=policy.default)
    assert message["Subject"] == "Re: a b c d"
    assert message["From"] == "Acme KS <support@acme.test>"
