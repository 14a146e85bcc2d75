"""Telegram as a native provider, in-process on SQLite with Telegram's Bot API a stand-in on
loopback: every published update sample becomes a contact or is ignored, as documented; a
wrong secret token is 401 and creates nothing; a retried update creates one contact; a
reply goes out as sendMessage with exactly its documented fields and the bot token in the
path; Telegram's answer makes it sent (with its message id) or failed (with its reason)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged
from switchboard.contracts.events.common import Channel
from switchboard.intake.adapters.orm import AdapterRow, ContactRow, ReplyRow
from switchboard.intake.domain.channel_adapters import AdapterView
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.telegram_sends import TelegramBot
from switchboard.intake.domain.telegram_updates import Ignored, Update, contact_of
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.intake.service_layer.replies import report_provider_delivery
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.receiver import serving

from ..builders import assigned
from .people_and_adapters import bearer
from .telegram_samples import SAMPLES, USER
from .test_replies import FAST_RETRIES, send_until_settled

TOKEN = "123456789:AAH-test_token-0123456789abcdefXYZ"
HEADER = "X-Telegram-Bot-Api-Secret-Token"
BLOCKED = {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"}


@pytest.mark.parametrize(("name", "update", "expected"), SAMPLES, ids=[s[0] for s in SAMPLES])
def test_each_published_update_is_a_contact_or_ignored(name, update, expected):
    found = contact_of(Update.model_validate(update))
    if expected is None:
        assert isinstance(found, Ignored), found
        return
    text, attachments, item_id = expected
    assert not isinstance(found, Ignored), found.reason
    message = update.get("message") or update["edited_message"]
    assert (found.platform, found.handle) == ("telegram", str(message["from"]["id"]))
    assert found.conversation_id == str(message["chat"]["id"])
    assert (found.text, found.item_id, found.visibility) == (text, item_id, "private")
    assert [(a.filename, a.content_type, a.size_bytes) for a in found.attachments] == attachments
    assert found.identities()[0].value == f"telegram:{message['from']['id']}"
    if message["from"] is USER:
        assert found.customer_name == "FirstName LastName (@username)"


class StandIn:
    """Telegram's Bot API as its reference documents sendMessage: ``POST /bot<token>/
    sendMessage``, a JSON body; answers from ``answers`` in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict]] = []
        self.answers: list[tuple[int, dict]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/bot{token}/{method}")
        async def method(token: str, method: str, request: Request) -> Response:
            self.requests.append(
                (f"/bot{token}/{method}", dict(request.headers), await request.json())
            )
            status, answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
            return Response(json.dumps(answer), status_code=status, media_type="application/json")

        return app


@pytest.fixture
def port() -> int:
    return free_port()


@pytest.fixture
async def intake(tmp_path, definition, port):
    service = await InProcessService.start(
        definition, tmp_path, telegram_api_base=f"http://127.0.0.1:{port}", **FAST_RETRIES
    )
    yield service
    await service.close()


@pytest.fixture
async def client(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


async def register_bot(client, intake) -> dict:
    spec = {
        "id": "telegram-nordics",
        "channel": "social",
        "region": "nordics",
        "provider": "telegram",
        "bot_token": TOKEN,
    }
    registered = await client.post("/v1/admin/adapters", json=spec, headers=admin(intake))
    assert registered.status_code == 201, registered.text
    assert TOKEN not in registered.text
    return registered.json()


def admin(intake) -> dict[str, str]:
    return bearer(intake, "ops", "admin")


async def send_update(client, bot: dict, update: dict, secret: str | None = None):
    headers = {} if secret == "" else {HEADER: secret or bot["secret"]}
    return await client.post(f"/v1/providers/telegram/{bot['id']}", json=update, headers=headers)


async def contacts(intake) -> int:
    async with intake.deps.sessions() as session:
        return (await session.execute(select(func.count()).select_from(ContactRow))).scalar_one()


async def test_the_bot_token_is_sealed_and_the_secret_token_is_telegram_s_kind(client, intake):
    bot = await register_bot(client, intake)
    assert bot["provider"] == "telegram"
    assert len(bot["secret"]) >= 32
    assert set(bot["secret"]) <= set(
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
    )
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, bot["id"])
    assert row.provider_credential.startswith("fernet:")
    assert TOKEN not in row.provider_credential
    assert intake.deps.secret_box.open(row.provider_credential) == TOKEN
    refused = [
        {"id": "tg2", "channel": "chat", "provider": "telegram", "bot_token": TOKEN},
        {"id": "tg3", "channel": "social", "provider": "telegram"},
        {"id": "tg4", "channel": "social", "provider": "telegram", "bot_token": "nope"},
        {"id": "tg5", "channel": "social", "bot_token": TOKEN},
        {"id": "tg6", "channel": "social", "credentials": {"bot_token": TOKEN}},
        {"id": "tg7", "channel": "social", "provider": "telegram", "credentials": {"x": TOKEN}},
        {
            "id": "tg8",
            "channel": "social",
            "provider": "telegram",
            "bot_token": TOKEN,
            "credentials": {"bot_token": TOKEN},
        },
    ]
    for spec in refused:
        answer = await client.post("/v1/admin/adapters", json=spec, headers=admin(intake))
        assert answer.status_code == 422, answer.text
        assert TOKEN not in answer.text


async def test_credentials_are_the_general_form_of_the_bot_token(client, intake):
    spec = {"id": "tg-general", "channel": "social", "provider": "telegram"}
    answer = await client.post(
        "/v1/admin/adapters",
        json=spec | {"credentials": {"bot_token": TOKEN}},
        headers=admin(intake),
    )
    assert answer.status_code == 201, answer.text
    assert TOKEN not in answer.text
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, "tg-general")
    assert intake.deps.secret_box.open(row.provider_credential) == TOKEN
    view = await intake.deps.adapters.get("tg-general")
    assert view.sends
    assert view.credential == TelegramBot(bot_token=TOKEN)
    assert TOKEN not in repr(view)
    other = "987654321:BBH-another_token-0123456789"
    changed = await client.patch(
        "/v1/admin/adapters/tg-general",
        json={"credentials": {"bot_token": other}},
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, "tg-general")
    assert intake.deps.secret_box.open(row.provider_credential) == other
    generic = await client.post(
        "/v1/admin/adapters", json={"id": "plain", "channel": "chat"}, headers=admin(intake)
    )
    assert generic.status_code == 201
    for refused in ({"credentials": {"bot_token": other}}, {"credentials": None}):
        answer = await client.patch("/v1/admin/adapters/plain", json=refused, headers=admin(intake))
        assert answer.status_code == 422, answer.text
        assert other not in answer.text


async def test_updates_become_contacts_once_and_need_the_secret_token(client, intake):
    bot = await register_bot(client, intake)
    first = SAMPLES[0][1]
    for wrong in ("", "not-the-token", bot["secret"] + "x"):
        refused = await send_update(client, bot, first, secret=wrong)
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = await client.post("/v1/providers/telegram/nobody", json=first, headers={HEADER: "x"})
    assert unknown.status_code == 401
    assert await contacts(intake) == 0

    for name, update, expected in SAMPLES:
        answer = await send_update(client, bot, update)
        assert answer.status_code == 200, (name, answer.text)
        assert ("ignored" in answer.json()) is (expected is None), (name, answer.json())
    handled = [s for s in SAMPLES if s[2] is not None]
    assert await contacts(intake) == len(handled)

    # An update intake cannot read (a date no calendar holds) is ignored saying why, never a
    # 500, and never refused: Telegram would retry it and hold back the bot's later updates.
    far = json.loads(json.dumps(first))
    far["update_id"] += 10_000
    far["message"]["date"] = 10**12
    out_of_range = await send_update(client, bot, far)
    assert out_of_range.status_code == 200, out_of_range.text
    assert out_of_range.json()["ignored"].startswith("unreadable update: message.date")
    for no_update in ({"message": first["message"]}, {"update_id": "x"}, [first]):
        refused = await send_update(client, bot, no_update)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    not_json = await client.post(
        f"/v1/providers/telegram/{bot['id']}",
        content=b"{not json",
        headers={HEADER: bot["secret"], "content-type": "application/json"},
    )
    assert not_json.status_code == 400

    again = await send_update(client, bot, first)  # Telegram retries an update
    assert again.status_code == 200
    assert again.json()["duplicate"] is True
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await contacts(intake) == len(handled)
    received = await intake.published(ContactReceived)
    assert len(received) == len(handled)
    assert {r.channel for r in received} == {Channel.SOCIAL}

    case_id = again.json()["case_id"]
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    page = await client.get(f"/v1/cases/{case_id}/messages", headers=bearer(intake, "a1", "agent"))
    messages = page.json()["messages"]
    photo = next(m for m in messages if m["text"] == "photo description")
    assert photo["sender"]["address"] == "telegram:12345678"
    assert photo["sender"]["name"] == "FirstName LastName (@username)"
    assert [(a["content_type"], a["size_bytes"]) for a in photo["attachments"]] == [
        ("image/jpeg", 1101)
    ]


async def test_the_secret_token_rotates_with_a_grace_period(client, intake):
    bot = await register_bot(client, intake)
    rotated = await client.post(
        f"/v1/admin/adapters/{bot['id']}/rotate-secret", headers=admin(intake)
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != bot["secret"]
    old_ok = await send_update(client, bot, SAMPLES[0][1])
    new_ok = await send_update(client, bot, SAMPLES[1][1], secret=new)
    assert (old_ok.status_code, new_ok.status_code) == (200, 200)

    changed = await client.patch(
        f"/v1/admin/adapters/{bot['id']}",
        json={"bot_token": "987654321:BBH-another_token-0123456789"},
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, bot["id"])
    assert intake.deps.secret_box.open(row.provider_credential).startswith("987654321:")
    not_for_it = await client.patch(
        f"/v1/admin/adapters/{bot['id']}",
        json={"outbound_url": "http://127.0.0.1:9/x"},
        headers=admin(intake),
    )
    assert not_for_it.status_code == 422


async def test_a_reply_goes_out_as_send_message_and_telegram_s_answer_settles_it(
    client, intake, port
):
    bot = await register_bot(client, intake)
    opened = (await send_update(client, bot, SAMPLES[0][1])).json()
    case_id = opened["case_id"]
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    agent = bearer(intake, "a1", "agent")
    replies = f"/v1/cases/{case_id}/replies"

    telegram = StandIn()
    sent = {"message_id": 11224, "chat": {"id": 12345678, "type": "private"}, "date": 1508709712}
    telegram.answers = [(200, {"ok": True, "result": sent | {"text": "Hello!"}})]
    first = await client.post(replies, json={"text": "Hello!"}, headers=agent)
    assert first.status_code == 202, first.text
    async with serving(telegram.app(), port):
        await send_until_settled(intake, rounds=5)
    [(path, headers, body)] = telegram.requests
    assert path == f"/bot{TOKEN}/sendMessage"
    assert headers["content-type"] == "application/json"
    assert not any(name.startswith("webhook-") for name in headers)
    assert body == {
        "chat_id": 12345678,
        "text": "Hello!",
        "reply_parameters": {"message_id": 11223, "allow_sending_without_reply": True},
    }
    [change] = await intake.published(ReplyDeliveryChanged)
    assert (change.reply_id, change.state) == (first.json()["reply_id"], "sent")
    async with intake.deps.sessions() as session:
        row = await session.get(ReplyRow, first.json()["reply_id"])
    assert row.provider_message_id == "12345678:11224"
    async with intake.service.transaction() as uow:  # as a provider's status report finds it
        found = await report_provider_delivery(
            uow=uow,
            adapter_id=bot["id"],
            provider_message_id="12345678:11224",
            state=ReplyDelivery.DELIVERED,
            at=datetime.now(UTC),
        )
        elsewhere = await report_provider_delivery(
            uow=uow,
            adapter_id=bot["id"],
            provider_message_id="12345678:99999",
            state=ReplyDelivery.DELIVERED,
            at=datetime.now(UTC),
        )
    assert (found.id, found.delivery, elsewhere) == (row.id, "delivered", None)
    delivered = (await intake.published(ReplyDeliveryChanged))[-1]
    assert (delivered.reply_id, delivered.state) == (row.id, "delivered")

    telegram.requests.clear()
    telegram.answers = [(403, BLOCKED)]
    second = await client.post(replies, json={"text": "Still there?"}, headers=agent)
    async with serving(telegram.app(), port):
        await send_until_settled(intake, rounds=5)
    assert len(telegram.requests) == 1, "a 403 is not retried"
    failed = (await intake.published(ReplyDeliveryChanged))[-1]
    assert (failed.reply_id, failed.state) == (second.json()["reply_id"], "failed")
    assert failed.reason == "Telegram refused it: Forbidden: bot was blocked by the user (HTTP 403)"
    page = await client.get(f"/v1/cases/{case_id}/messages", headers=agent)
    last = page.json()["messages"][-1]
    assert (last["delivery"], last["delivery_error"]) == ("failed", failed.reason)
    assert all(TOKEN not in (m.get("delivery_error") or "") for m in page.json()["messages"])


def test_a_replaced_credential_counts_for_webhooks_until_its_grace_ends():
    now = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
    old, new = TelegramBot(bot_token=TOKEN), TelegramBot(bot_token="987654321:" + "B" * 30)
    view = AdapterView(
        id="tg",
        channel=Channel.SOCIAL,
        region=None,
        default_country=None,
        department=None,
        enabled=True,
        current_secret="s",
        credential=new,
        previous_credential=old,
        previous_credential_expires_at=now + timedelta(hours=1),
    )
    assert view.credentials_in_use(now) == (new, old)
    assert view.credentials_in_use(now + timedelta(hours=1)) == (new,)
    assert "BBBB" not in repr(view)
