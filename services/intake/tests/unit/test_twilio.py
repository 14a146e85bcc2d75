"""Twilio as a native provider, in-process on SQLite with Twilio's Messages API a stand-in on
loopback: each published message and call sample, signed as Twilio signs it, becomes a
contact or is ignored with a 2xx and TwiML; a wrong or missing signature, an unknown adapter
and another account are refused and create nothing; a retry creates one contact; a reply
goes out as a Messages API create with exactly its documented fields and Basic auth, and
Twilio's answer and status callbacks move its delivery state."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged
from switchboard.contracts.events.common import Channel
from switchboard.intake.adapters.orm import AdapterRow, ContactRow, CustomerRow, ReplyRow
from switchboard.intake.domain.twilio_signatures import body_hash, signature
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.receiver import serving

from ..builders import assigned
from .people_and_adapters import bearer
from .test_replies import FAST_RETRIES, send_until_settled
from .twilio_samples import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    CALL_SAMPLES,
    CREATED,
    INCOMING_CALL,
    INVALID_TO,
    MESSAGE_SAMPLES,
    MISSED_CALL,
    RECORDED,
    SMS,
    WHATSAPP_TEXT,
    message_status,
)

BASE = "http://intake.test"
PUBLIC = "https://intake.example.com/switchboard"
FROM_NUMBER = "+4589871234"
ADAPTER = "twilio-dk"
PATH = f"/v1/providers/twilio/{ADAPTER}"


class StandIn:
    """Twilio's Messages API as its reference documents the create: ``POST /2010-04-01/
    Accounts/{AccountSid}/Messages.json``, a form body, Basic auth; answers from ``answers``
    in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, list[str]]]] = []
        self.answers: list[tuple[int, dict]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/2010-04-01/Accounts/{account}/Messages.json")
        async def create(account: str, request: Request) -> Response:
            body = (await request.body()).decode()
            self.requests.append(
                (request.url.path, dict(request.headers), parse_qs(body, strict_parsing=True))
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
        definition,
        tmp_path,
        twilio_api_base=f"http://127.0.0.1:{port}",
        public_base_url=PUBLIC,
        **FAST_RETRIES,
    )
    yield service
    await service.close()


@pytest.fixture
async def client(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        yield client


def admin(intake) -> dict[str, str]:
    return bearer(intake, "ops", "admin")


CREDENTIALS = {
    "account_sid": ACCOUNT_SID,
    "auth_token": AUTH_TOKEN,
    "from_number": FROM_NUMBER,
    "status_callback": f"{PUBLIC}{PATH}/messages/status",
}


async def register(client, intake, **change) -> dict:
    spec = {
        "id": ADAPTER,
        "channel": "social",
        "region": "nordics",
        "default_country": "DK",
        "provider": "twilio",
        "credentials": CREDENTIALS,
    } | change
    registered = await client.post("/v1/admin/adapters", json=spec, headers=admin(intake))
    assert registered.status_code == 201, registered.text
    assert AUTH_TOKEN not in registered.text
    return registered.json()


async def post_form(
    client, path: str, form: dict[str, str], *, token: str = AUTH_TOKEN, signed_as: str = ""
) -> httpx.Response:
    """Posted as Twilio posts it: form-encoded, signed over the public URL and the form."""
    url = (signed_as or PUBLIC) + path
    parameters = {name: [value] for name, value in form.items()}
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": signature(token, url, parameters),
    }
    return await client.post(path, content=urlencode(form), headers=headers)


async def contacts(intake) -> int:
    async with intake.deps.sessions() as session:
        return (await session.execute(select(func.count()).select_from(ContactRow))).scalar_one()


async def test_the_credential_is_sealed_and_checked_at_registration(client, intake):
    await register(client, intake)
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, ADAPTER)
    assert row.provider_credential.startswith("fernet:")
    assert AUTH_TOKEN not in row.provider_credential
    refused = [
        CREDENTIALS | {"auth_token": "short"},
        CREDENTIALS | {"account_sid": "AC123"},
        {"account_sid": ACCOUNT_SID, "auth_token": AUTH_TOKEN},  # sends from nowhere
        CREDENTIALS | {"from_number": "not a number"},
    ]
    for number, credentials in enumerate(refused):
        answer = await client.post(
            "/v1/admin/adapters",
            json={
                "id": f"tw{number}",
                "channel": "social",
                "provider": "twilio",
                "credentials": credentials,
            },
            headers=admin(intake),
        )
        assert answer.status_code == 422, answer.text
        assert AUTH_TOKEN not in answer.text


async def test_a_new_auth_token_by_patch_signs_and_the_old_one_keeps_its_grace(client, intake):
    await register(client, intake)
    new_token = "f" * 32
    changed = await client.patch(
        f"/v1/admin/adapters/{ADAPTER}",
        json={"credentials": CREDENTIALS | {"auth_token": new_token}},
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    assert new_token not in changed.text
    old = await post_form(client, f"{PATH}/messages", SMS)
    new = await post_form(client, f"{PATH}/messages", SMS, token=new_token)
    other = await post_form(client, f"{PATH}/messages", SMS, token="e" * 32)
    assert (old.status_code, new.status_code, other.status_code) == (200, 200, 401)
    not_twilio_s = await client.patch(
        f"/v1/admin/adapters/{ADAPTER}",
        json={"bot_token": "123456789:AAH-test_token-0123456789abcdefXYZ"},
        headers=admin(intake),
    )
    assert not_twilio_s.status_code == 422


async def test_messages_become_contacts_once_and_need_twilio_s_signature(client, intake):
    await register(client, intake)
    path = f"{PATH}/messages"
    wrong = [
        post_form(client, path, SMS, token="f" * 32),
        post_form(client, path, SMS, signed_as=BASE),  # not the URL Twilio requested
        client.post(path, content=urlencode(SMS), headers={"content-type": FORM}),
        post_form(client, "/v1/providers/twilio/nobody/messages", SMS),
    ]
    for attempt in wrong:
        refused = await attempt
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    other_account = await post_form(client, path, SMS | {"AccountSid": "AC" + "0" * 32})
    assert other_account.status_code == 403
    tampered = urlencode(SMS | {"Body": "changed"})
    headers = {"content-type": FORM, "X-Twilio-Signature": signed(path, SMS)}
    assert (await client.post(path, content=tampered, headers=headers)).status_code == 401
    assert await contacts(intake) == 0

    for name, form, expected in MESSAGE_SAMPLES:
        answer = await post_form(client, path, form)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.headers["content-type"].startswith("text/xml")
        assert answer.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    handled = [s for s in MESSAGE_SAMPLES if s[2] is not None]
    assert await contacts(intake) == len(handled)

    again = await post_form(client, path, SMS)  # Twilio retries
    assert again.status_code == 200
    assert again.headers["Idempotent-Replayed"] == "true"
    assert await contacts(intake) == len(handled)
    received = await intake.published(ContactReceived)
    assert len(received) == len(handled)
    assert {r.channel for r in received} == {Channel.SOCIAL}


async def test_malformed_bodies_are_4xx_problems_never_5xx(client, intake):
    await register(client, intake)
    path = f"{PATH}/messages"
    for body in (b"\xff\xfe", b"MessageSid=%ff", b"not a form"):
        answer = await client.post(path, content=body, headers={"content-type": FORM})
        assert answer.status_code == 400, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
    missing_sid = {k: v for k, v in SMS.items() if k != "MessageSid"}
    invalid = await post_form(client, path, missing_sid)
    assert invalid.status_code == 422, invalid.text
    json_bodies = (b"{", b"[" * 100_000, b'{"Body": "lone \\ud800 surrogate"}')
    for body in json_bodies:
        not_json = await client.post(
            path, content=body, headers={"content-type": "application/json"}
        )
        assert not_json.status_code == 400, body[:20]
    # Twilio's own, signed, but no contact intake can keep (PostgreSQL stores no NUL): 200
    unreadable = await post_form(client, path, SMS | {"Body": "a\x00b"})
    assert unreadable.status_code == 200, unreadable.text
    assert unreadable.text == '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    assert await contacts(intake) == 0


async def test_a_json_body_signed_by_its_hash_is_taken(client, intake):
    await register(client, intake)
    body = json.dumps(WHATSAPP_TEXT).encode()
    path = f"{PATH}/messages?bodySHA256={body_hash(body)}"
    headers = {
        "content-type": "application/json",
        "X-Twilio-Signature": signature(AUTH_TOKEN, PUBLIC + path),
    }
    taken = await client.post(path, content=body, headers=headers)
    assert taken.status_code == 200, taken.text
    assert await contacts(intake) == 1
    changed = await client.post(path, content=body.replace(b"Hej", b"Hey"), headers=headers)
    assert changed.status_code == 401


async def test_calls_are_answered_with_a_voicemail_and_missed_calls_are_contacts(client, intake):
    await register(client, intake)
    answered = await post_form(client, f"{PATH}/voice", INCOMING_CALL)
    assert answered.status_code == 200, answered.text
    assert answered.headers["content-type"].startswith("text/xml")
    assert f'<Record action="{PUBLIC}{PATH}/voice/status" method="POST"' in answered.text
    assert await contacts(intake) == 0

    for name, form, expected in CALL_SAMPLES:
        answer = await post_form(client, f"{PATH}/voice/status", form)
        assert answer.status_code == 200, (name, answer.text)
        assert answer.headers["content-type"].startswith("text/xml")
    handled = [s for s in CALL_SAMPLES if s[2] is not None]
    assert await contacts(intake) == len(handled)
    again = await post_form(client, f"{PATH}/voice/status", RECORDED)
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "<Hangup/>" in again.text
    received = await intake.published(ContactReceived)
    assert {r.channel for r in received} == {Channel.PHONE}

    # the caller who left a voicemail and missed a call also texts: one customer
    await post_form(client, f"{PATH}/messages", SMS | {"From": MISSED_CALL["From"]})
    async with intake.deps.sessions() as session:
        customers = (
            await session.execute(select(func.count()).select_from(CustomerRow))
        ).scalar_one()
    assert customers == 1


async def test_a_reply_goes_out_through_the_messages_api_and_status_callbacks_settle_it(
    client, intake, port
):
    await register(client, intake)
    opened = await post_form(client, f"{PATH}/messages", WHATSAPP_TEXT)
    assert opened.status_code == 200
    async with intake.deps.sessions() as session:
        contact = (await session.execute(select(ContactRow))).scalar_one()
    case_id = contact.case_id
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    agent = bearer(intake, "a1", "agent")
    replies = f"/v1/cases/{case_id}/replies"

    twilio = StandIn()
    twilio.answers = [(429, {"code": 20429, "message": "Too Many Requests"}), (201, CREATED)]
    first = await client.post(replies, json={"text": "Hej Ann, den er på vej!"}, headers=agent)
    assert first.status_code == 202, first.text
    async with serving(twilio.app(), port):
        await send_until_settled(intake, rounds=10)
    assert len(twilio.requests) == 2, "a 429 is tried again"
    path, headers, form = twilio.requests[-1]
    assert path == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert headers["content-type"] == FORM
    expected_auth = base64.b64encode(f"{ACCOUNT_SID}:{AUTH_TOKEN}".encode()).decode()
    assert headers["authorization"] == f"Basic {expected_auth}"
    assert not any(name.startswith("webhook-") for name in headers)
    assert form == {
        "To": ["whatsapp:+4520123456"],
        "From": [f"whatsapp:{FROM_NUMBER}"],
        "Body": ["Hej Ann, den er på vej!"],
        "StatusCallback": [f"{PUBLIC}{PATH}/messages/status"],
    }
    reply_id = first.json()["reply_id"]
    async with intake.deps.sessions() as session:
        row = await session.get(ReplyRow, reply_id)
    assert (row.delivery, row.provider_message_id) == ("accepted", CREATED["sid"])

    for status in ("sent", "delivered"):
        callback = await post_form(
            client, f"{PATH}/messages/status", message_status(CREATED["sid"], status)
        )
        assert callback.status_code == 204, callback.text
    unknown = await post_form(
        client, f"{PATH}/messages/status", message_status("SM" + "1" * 32, "delivered")
    )
    assert unknown.status_code == 204
    states = [c.state for c in await intake.published(ReplyDeliveryChanged)]
    assert states == ["accepted", "sent", "delivered"]

    twilio.requests.clear()
    twilio.answers = [(400, INVALID_TO)]
    second = await client.post(replies, json={"text": "Still there?"}, headers=agent)
    async with serving(twilio.app(), port):
        await send_until_settled(intake, rounds=5)
    assert len(twilio.requests) == 1, "a 400 is not retried"
    failed = (await intake.published(ReplyDeliveryChanged))[-1]
    assert (failed.reply_id, failed.state) == (second.json()["reply_id"], "failed")
    assert failed.reason == (
        "Twilio refused it: The 'To' number +1555 is not a valid phone number. "
        "(error 21211, https://www.twilio.com/docs/errors/21211) (HTTP 400)"
    )

    later = CREATED | {"sid": "SM" + "2" * 32}
    twilio.answers = [(201, later)]
    third = await client.post(replies, json={"text": "Hallo?"}, headers=agent)
    async with serving(twilio.app(), port):
        await send_until_settled(intake, rounds=5)
    undelivered = message_status(later["sid"], "undelivered", error_code="30003")
    assert (await post_form(client, f"{PATH}/messages/status", undelivered)).status_code == 204
    lost = (await intake.published(ReplyDeliveryChanged))[-1]
    assert (lost.reply_id, lost.state) == (third.json()["reply_id"], "failed")
    assert lost.reason == (
        "Twilio reports it undelivered (error 30003, https://www.twilio.com/docs/errors/30003)"
    )


FORM = "application/x-www-form-urlencoded"


def signed(path: str, form: dict[str, str]) -> str:
    return signature(AUTH_TOKEN, PUBLIC + path, {k: [v] for k, v in form.items()})
