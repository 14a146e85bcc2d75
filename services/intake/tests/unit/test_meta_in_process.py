"""WhatsApp Cloud, Messenger and Instagram as native providers, in-process on SQLite with
Meta's Graph API a stand-in on loopback: the handshake answers Meta's challenge only with
the adapter's verify token; a notification signed with the app secret makes one contact per
message (once, however often Meta retries), a wrong or missing signature nothing; a reply
goes out as Graph's documented ``/messages`` request with the access token as a bearer;
Graph's answer makes it sent (with the wamid or mid) or failed (with Graph's error), and
WhatsApp's statuses and Messenger's deliveries move it on."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged
from switchboard.contracts.events.common import Channel
from switchboard.intake.adapters.orm import AdapterRow, ContactRow, ReplyRow
from switchboard.intake.domain.meta_graph import signed
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.receiver import serving

from ..builders import assigned
from .meta_samples import (
    DASHBOARD_TEST,
    IGID,
    INSTAGRAM_EVENTS,
    MESSENGER_EVENTS,
    PAGE_ID,
    PHONE_NUMBER_ID,
    WHATSAPP_MESSAGES,
    WHATSAPP_STATUSES,
    messaging,
    wa,
)
from .people_and_adapters import bearer
from .test_replies import FAST_RETRIES, send_until_settled

APP_SECRET = "0123456789abcdef0123456789abcdef"
ACCESS_TOKEN = "EAAGm0PX4ZCpsBAKZAtest-access-token"
WAMID_SENT = "wamid.HBgLNDUyMDEyMzQ1NhUCABEYEjlBM0NBNUIzRDRDRDZFNjdFNwA="


class Graph:
    """Graph's ``POST /v23.0/{id}/messages`` as documented: a JSON body and a bearer token;
    answers from ``answers`` in turn (the last one repeats)."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict]] = []
        self.answers: list[tuple[int, dict]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v23.0/{sender}/messages")
        async def messages(sender: str, request: Request) -> Response:
            self.requests.append(
                (f"/v23.0/{sender}/messages", dict(request.headers), await request.json())
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
        definition, tmp_path, meta_graph_base=f"http://127.0.0.1:{port}/v23.0", **FAST_RETRIES
    )
    yield service
    await service.close()


@pytest.fixture
async def client(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


def admin(intake) -> dict[str, str]:
    return bearer(intake, "ops", "admin")


async def register(client, intake, provider: str, sender_id: str) -> dict:
    spec = {
        "id": f"{provider}-nordics",
        "channel": "social",
        "region": "nordics",
        "provider": provider,
        "credentials": {
            "app_secret": APP_SECRET,
            "access_token": ACCESS_TOKEN,
            "sender_id": sender_id,
        },
    }
    registered = await client.post("/v1/admin/adapters", json=spec, headers=admin(intake))
    assert registered.status_code == 201, registered.text
    assert APP_SECRET not in registered.text
    assert ACCESS_TOKEN not in registered.text
    return registered.json()


async def notify(client, adapter: dict, notification: dict, secret: str | None = APP_SECRET):
    raw = json.dumps(notification).encode()
    headers = {"content-type": "application/json"}
    if secret is not None:
        headers["X-Hub-Signature-256"] = signed(secret, raw)
    return await client.post(f"/v1/providers/meta/{adapter['id']}", content=raw, headers=headers)


async def contacts(intake) -> int:
    async with intake.deps.sessions() as session:
        return (await session.execute(select(func.count()).select_from(ContactRow))).scalar_one()


async def test_the_handshake_answers_meta_s_challenge_with_the_verify_token(client, intake):
    whatsapp = await register(client, intake, "whatsapp", PHONE_NUMBER_ID)
    async with intake.deps.sessions() as session:
        row = await session.get(AdapterRow, whatsapp["id"])
    assert APP_SECRET not in row.provider_credential
    assert ACCESS_TOKEN not in row.provider_credential
    query = {
        "hub.mode": "subscribe",
        "hub.verify_token": whatsapp["secret"],
        "hub.challenge": "1158201444",
    }
    answer = await client.get(f"/v1/providers/meta/{whatsapp['id']}", params=query)
    assert answer.status_code == 200, answer.text
    assert (answer.text, answer.headers["content-type"]) == (
        "1158201444",
        "text/plain; charset=utf-8",
    )
    for wrong in (
        {**query, "hub.verify_token": "nope"},
        {**query, "hub.mode": "unsubscribe"},
        {"hub.mode": "subscribe", "hub.challenge": "1"},
    ):
        refused = await client.get(f"/v1/providers/meta/{whatsapp['id']}", params=wrong)
        assert refused.status_code == 403
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = await client.get("/v1/providers/meta/nobody", params=query)
    assert unknown.status_code == 403

    refused = [
        {
            "id": "wa2",
            "channel": "chat",
            "provider": "whatsapp",
            "credentials": {
                "app_secret": APP_SECRET,
                "access_token": ACCESS_TOKEN,
                "sender_id": "1",
            },
        },
        {"id": "wa3", "channel": "social", "provider": "whatsapp"},
        {
            "id": "wa4",
            "channel": "social",
            "provider": "whatsapp",
            "credentials": {
                "app_secret": APP_SECRET,
                "access_token": ACCESS_TOKEN,
                "sender_id": "not-digits",
            },
        },
        {
            "id": "wa5",
            "channel": "social",
            "provider": "whatsapp",
            "bot_token": "123456789:AAH-test_token-0123456789abcdefXYZ",
        },
    ]
    for spec in refused:
        answer = await client.post("/v1/admin/adapters", json=spec, headers=admin(intake))
        assert answer.status_code == 422, (spec["id"], answer.text)
        assert APP_SECRET not in answer.text


async def test_a_notification_s_messages_become_contacts_once_and_need_the_signature(
    client, intake
):
    whatsapp = await register(client, intake, "whatsapp", PHONE_NUMBER_ID)
    messages = [
        {**message, "id": f"wamid.sample-{i}"}
        for i, (_, message, _) in enumerate(WHATSAPP_MESSAGES)
    ]
    taken = [m for m, (_, _, expected) in zip(messages, WHATSAPP_MESSAGES, strict=True) if expected]
    notification = wa(messages=messages, statuses=[WHATSAPP_STATUSES[1][1]])

    for secret in (None, "wrong-secret-0123456789"):
        refused = await notify(client, whatsapp, notification, secret=secret)
        assert refused.status_code == 401, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    unknown = await notify(client, {"id": "nobody"}, notification)
    assert unknown.status_code == 401
    assert await contacts(intake) == 0

    answer = await notify(client, whatsapp, notification)
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert len(body["contacts"]) == len(taken)
    assert len(body["ignored"]) == len(messages) - len(taken)
    assert body["statuses"] == {"reported": 1, "matched": 0}, "wamid.xyzxyz was not sent by us"
    assert await contacts(intake) == len(taken)
    assert len({c["case_id"] for c in body["contacts"]}) == 1, "one customer, one conversation"

    again = await notify(client, whatsapp, notification)  # Meta retries a notification
    assert all(c["duplicate"] for c in again.json()["contacts"])
    assert await contacts(intake) == len(taken)
    received = await intake.published(ContactReceived)
    assert len(received) == len(taken)

    for other in (DASHBOARD_TEST, messaging("page", PAGE_ID, [MESSENGER_EVENTS[0][1]])):
        ignored = await notify(client, whatsapp, other)
        assert ignored.status_code == 200, ignored.text
        assert ignored.json()["ignored"], ignored.text
    raw = b"not json"
    headers = {"X-Hub-Signature-256": signed(APP_SECRET, raw)}
    bad = await client.post(f"/v1/providers/meta/{whatsapp['id']}", content=raw, headers=headers)
    assert bad.status_code == 400
    for broken in (
        {"object": "user", "entry": []},
        {"object": "whatsapp_business_account", "entry": "x"},
    ):
        refused = await notify(client, whatsapp, broken)
        assert refused.status_code == 422, refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    assert await contacts(intake) == len(taken)

    case_id = body["contacts"][0]["case_id"]
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    page = await client.get(f"/v1/cases/{case_id}/messages", headers=bearer(intake, "a1", "agent"))
    document = next(
        m
        for m in page.json()["messages"]
        if m["text"] == "caption" and m["attachments"][0]["filename"]
    )
    assert document["sender"]["address"] == "whatsapp:+972987654321"
    assert document["sender"]["name"] == "Test Name"
    assert [(a["filename"], a["content_type"]) for a in document["attachments"]] == [
        ("filename.pdf", "application/pdf")
    ]


async def test_a_whatsapp_reply_goes_through_graph_and_statuses_move_it(client, intake, port):
    whatsapp = await register(client, intake, "whatsapp", PHONE_NUMBER_ID)
    first = WHATSAPP_MESSAGES[0][1]
    opened = (await notify(client, whatsapp, wa(messages=[first]))).json()["contacts"][0]
    case_id = opened["case_id"]
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    agent = bearer(intake, "a1", "agent")
    replies = f"/v1/cases/{case_id}/replies"

    graph = Graph()
    sent = {
        "messaging_product": "whatsapp",
        "contacts": [{"input": "972987654321", "wa_id": "972987654321"}],
        "messages": [{"id": WAMID_SENT}],
    }
    graph.answers = [(200, sent)]
    reply = await client.post(replies, json={"text": "Hej — vi kigger på det."}, headers=agent)
    assert reply.status_code == 202, reply.text
    async with serving(graph.app(), port):
        await send_until_settled(intake, rounds=5)
    [(path, headers, body)] = graph.requests
    assert path == f"/v23.0/{PHONE_NUMBER_ID}/messages"
    assert headers["authorization"] == f"Bearer {ACCESS_TOKEN}"
    assert headers["content-type"] == "application/json"
    assert not any(name.startswith("webhook-") for name in headers)
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "972987654321",
        "type": "text",
        "text": {"preview_url": False, "body": "Hej — vi kigger på det."},
        "context": {"message_id": first["id"]},
    }
    reply_id = reply.json()["reply_id"]
    async with intake.deps.sessions() as session:
        row = await session.get(ReplyRow, reply_id)
    assert (row.delivery, row.provider_message_id) == ("sent", WAMID_SENT)

    statuses = [
        {**s, "id": WAMID_SENT} for _, s, state, _ in WHATSAPP_STATUSES if state != "failed"
    ]
    moved = await notify(client, whatsapp, wa(statuses=statuses))
    assert moved.json()["statuses"] == {"reported": 3, "matched": 3}
    changes = [(c.reply_id, c.state) for c in await intake.published(ReplyDeliveryChanged)]
    assert changes == [(reply_id, "sent"), (reply_id, "delivered"), (reply_id, "read")]

    graph.requests.clear()
    expired = {
        "error": {
            "message": "Error validating access token",
            "type": "OAuthException",
            "code": 190,
            "fbtrace_id": "x",
        }
    }
    graph.answers = [(401, expired)]
    second = await client.post(replies, json={"text": "Still there?"}, headers=agent)
    async with serving(graph.app(), port):
        await send_until_settled(intake, rounds=5)
    assert len(graph.requests) == 1, "a refusal is not retried"
    failed = (await intake.published(ReplyDeliveryChanged))[-1]
    assert (failed.reply_id, failed.state) == (second.json()["reply_id"], "failed")
    assert (
        failed.reason == "WhatsApp refused it: Error validating access token (code 190) (HTTP 401)"
    )
    page = await client.get(f"/v1/cases/{case_id}/messages", headers=agent)
    assert all(ACCESS_TOKEN not in json.dumps(m) for m in page.json()["messages"])


@pytest.mark.parametrize(
    ("provider", "kind", "account", "sample"),
    [
        ("messenger", "page", PAGE_ID, MESSENGER_EVENTS[0]),
        ("instagram", "instagram", IGID, INSTAGRAM_EVENTS[0]),
    ],
)
async def test_a_messenger_or_instagram_reply_goes_to_the_sender_s_scoped_id(
    client, intake, port, provider, kind, account, sample
):
    adapter = await register(client, intake, provider, account)
    event = sample[1]
    opened = await notify(client, adapter, messaging(kind, account, [event]))
    case_id = opened.json()["contacts"][0]["case_id"]
    await intake.deliver(assigned(case_id, "a1", datetime.now(UTC), channel=Channel.SOCIAL))
    graph = Graph()
    mid = "m_AG5Hz2Uq7tuwNEhXfYYKj8mJEM_QPpz5jdCK48PnKAjSdjfipqxqMvK8ma6AC8fp"
    graph.answers = [(200, {"recipient_id": event["sender"]["id"], "message_id": mid})]
    reply = await client.post(
        f"/v1/cases/{case_id}/replies",
        json={"text": "Hello!"},
        headers=bearer(intake, "a1", "agent"),
    )
    async with serving(graph.app(), port):
        await send_until_settled(intake, rounds=5)
    [(path, headers, body)] = graph.requests
    assert (path, headers["authorization"]) == (
        f"/v23.0/{account}/messages",
        f"Bearer {ACCESS_TOKEN}",
    )
    assert body == {
        "recipient": {"id": event["sender"]["id"]},
        "messaging_type": "RESPONSE",
        "message": {"text": "Hello!"},
    }
    receipt = {
        "sender": event["sender"],
        "recipient": event["recipient"],
        "timestamp": 1458668856463,
    }
    receipt |= (
        {"delivery": {"mids": [mid], "watermark": 1458668856253}}
        if kind == "page"
        else {"read": {"mid": mid}}
    )
    moved = await notify(client, adapter, messaging(kind, account, [receipt]))
    assert moved.json()["statuses"] == {"reported": 1, "matched": 1}
    async with intake.deps.sessions() as session:
        row = await session.get(ReplyRow, reply.json()["reply_id"])
    assert row.delivery == ("delivered" if kind == "page" else "read")
    if kind == "page":  # Messenger's reads name no message: all sent before the watermark
        seen = {"sender": event["sender"], "recipient": event["recipient"]}
        seen |= {"timestamp": 4102444800000, "read": {"watermark": 4102444800000}}
        read = await notify(client, adapter, messaging(kind, account, [seen]))
        assert read.json()["statuses"] == {"reported": 1, "matched": 1}
        async with intake.deps.sessions() as session:
            assert (await session.get(ReplyRow, reply.json()["reply_id"])).delivery == "read"
        again = await notify(client, adapter, messaging(kind, account, [seen]))
        assert again.json()["statuses"] == {"reported": 1, "matched": 0}


async def test_the_app_secret_is_replaced_by_patch_and_the_verify_token_rotates(client, intake):
    whatsapp = await register(client, intake, "whatsapp", PHONE_NUMBER_ID)
    new_secret = "fedcba9876543210fedcba9876543210"
    changed = await client.patch(
        f"/v1/admin/adapters/{whatsapp['id']}",
        json={
            "credentials": {
                "app_secret": new_secret,
                "access_token": ACCESS_TOKEN,
                "sender_id": PHONE_NUMBER_ID,
            }
        },
        headers=admin(intake),
    )
    assert changed.status_code == 200, changed.text
    assert new_secret not in changed.text
    assert changed.json()["previous_credentials_expire_at"] is not None
    first = wa(messages=[WHATSAPP_MESSAGES[0][1]])
    # Meta switches to the new secret a little later: until the grace ends, both sign.
    assert (await notify(client, whatsapp, first)).status_code == 200
    assert (await notify(client, whatsapp, first, secret=new_secret)).status_code == 200
    assert (await notify(client, whatsapp, first, secret="0" * 32)).status_code == 401

    rotated = await client.post(
        f"/v1/admin/adapters/{whatsapp['id']}/rotate-secret", headers=admin(intake)
    )
    for token in (rotated.json()["secret"], whatsapp["secret"]):  # the old one in its grace
        query = {"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "42"}
        answer = await client.get(f"/v1/providers/meta/{whatsapp['id']}", params=query)
        assert (answer.status_code, answer.text) == (200, "42")
