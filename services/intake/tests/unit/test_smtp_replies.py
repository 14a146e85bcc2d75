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
from email import policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from switchboard.contracts.events import ReplyDeliveryChanged
from switchboard.intake.adapters.orm import AdapterRow
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
