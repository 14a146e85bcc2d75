"""Replies that reach the customer, in-process on SQLite with the adapter's outbound endpoint
a real HTTP server on loopback: the holding agent replies, the adapter receives it signed
with its secret and addressed from the customer's latest message (e-mail with threading
headers), reports how far it got; a reply the adapter never takes ends failed."""

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from prometheus_client import REGISTRY

from switchboard.contracts.events import (
    ReplyDeliveryChanged,
    ReplyPosted,
    SurveyDeliveryChanged,
    SurveyRequested,
)
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.deliveries import DeliverySender
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.servicekit.testing.receiver import SignedReceiver, serving

from ..builders import assigned
from .people_and_adapters import bearer, post, sign_and_post


def delivery_changes(channel: str, state: str) -> float:
    labels = {"kind": "reply", "channel": channel, "state": state}
    return REGISTRY.get_sample_value("intake_reply_deliveries_total", labels) or 0.0


FAST_RETRIES = {
    "outbound_first_retry_seconds": 0.05,
    "outbound_max_retry_seconds": 0.1,
    "outbound_max_attempts": 2,
    "mail_domain": "mail.acme.test",
}


@pytest.fixture
async def quick(tmp_path, definition):
    """Intake whose replies give up after two quick attempts."""
    service = await InProcessService.start(definition, tmp_path, **FAST_RETRIES)
    yield service
    await service.close()


@pytest.fixture
async def client(quick):
    transport = httpx.ASGITransport(app=service_app(quick.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


def sender_of(service: InProcessService) -> DeliverySender:
    definition = service.service.definition
    [sender] = [w for w in definition.workers(service.deps) if isinstance(w, DeliverySender)]
    return sender


async def send_until_settled(service: InProcessService, rounds: int = 60) -> None:
    sender = sender_of(service)
    async with sender.http_client() as http:
        for _ in range(rounds):
            await sender.deliver_due(http)
            await asyncio.sleep(0.03)


async def register(client, admin, channel: str, outbound_url: str | None) -> dict:
    spec = {"id": f"{channel}-nordics", "channel": channel, "region": "nordics"}
    if outbound_url:
        spec["outbound_url"] = outbound_url
    registered = await client.post("/v1/admin/adapters", json=spec, headers=admin)
    assert registered.status_code == 201, registered.text
    return registered.json()


async def test_an_e_mail_reply_reaches_the_adapter_signed_threaded_and_reported(quick, client):
    counted = {state: delivery_changes("email", state) for state in ("accepted", "delivered")}
    admin = bearer(quick, "ops", "admin")
    port = free_port()
    mail = await register(client, admin, "email", f"http://127.0.0.1:{port}/email-nordics")
    assert mail["outbound_url"] == f"http://127.0.0.1:{port}/email-nordics"
    first = await post(
        client,
        mail,
        {
            "sender": "Ann@Example.dk",
            "to": ["support@acme.test"],
            "subject": "Faktura 1234",
            "text_body": "Hej, min faktura er forkert.",
            "message_id": "<m1@example.dk>",
            "references": ["<m0@example.dk>"],
        },
    )
    case_id = first["case_id"]
    replies = f"/v1/cases/{case_id}/replies"
    text = {
        "text": "Hej Ann, vi har rettet fakturaen.",
        "html": "<p>Rettet<script>x()</script></p>",
    }
    assert (
        await client.post(replies, json=text, headers=bearer(quick, "a1", "agent"))
    ).status_code == 403
    await quick.deliver(assigned(case_id, "a1", quick_now()))
    for someone in (bearer(quick, "a2", "agent"), admin):
        refused = await client.post(replies, json=text, headers=someone)
        assert refused.status_code == 403, refused.text

    posted = await client.post(replies, json=text, headers=bearer(quick, "a1", "agent"))
    assert posted.status_code == 202, posted.text
    reply = posted.json()
    assert reply["delivery"] == "queued"
    assert reply["subject"] == "Re: Faktura 1234"
    assert reply["message_id"] == f"<{reply['reply_id']}@mail.acme.test>"
    [event] = await quick.published(ReplyPosted)
    assert (event.reply_id, event.agent_id, event.adapter_id) == (
        reply["reply_id"],
        "a1",
        mail["id"],
    )

    receiver = SignedReceiver(secret=mail["secret"])
    async with serving(receiver.app(), port):
        await send_until_settled(quick, rounds=5)
    [(recipient, payload, headers)] = receiver.received
    assert recipient == mail["id"]
    assert headers["webhook-id"] == reply["reply_id"]
    assert payload["type"] == "switchboard.reply.outbound"
    data = payload["data"]
    assert data["to"] == ["ann@example.dk"]
    assert data["in_reply_to"] == "<m1@example.dk>"
    assert data["references"] == ["<m0@example.dk>", "<m1@example.dk>"]
    assert (data["subject"], data["message_id"]) == (reply["subject"], reply["message_id"])
    assert data["text"] == text["text"]
    assert data["html"] == "<p>Rettet</p>"
    changes = await quick.published(ReplyDeliveryChanged)
    assert [c.state for c in changes] == ["accepted"]

    for state in ("delivered", "sent"):  # a late "sent" moves nothing back
        answer = await sign_and_post(
            client,
            mail,
            f"/v1/adapters/{mail['id']}/deliveries",
            {"reply_id": reply["reply_id"], "state": state},
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["delivery"] == "delivered"
    unknown = await sign_and_post(
        client, mail, f"/v1/adapters/{mail['id']}/deliveries", {"reply_id": "nope", "state": "read"}
    )
    assert unknown.status_code == 404
    bad = await sign_and_post(
        client,
        mail,
        f"/v1/adapters/{mail['id']}/deliveries",
        {"reply_id": reply["reply_id"], "state": "teleported"},
    )
    assert bad.status_code == 422
    assert [c.state for c in await quick.published(ReplyDeliveryChanged)] == [
        "accepted",
        "delivered",
    ]
    assert {s: delivery_changes("email", s) - n for s, n in counted.items()} == {
        "accepted": 1,
        "delivered": 1,  # the late "sent" moved nothing: not counted
    }

    # A colleague of the customer answers the reply alone (In-Reply-To its Message-ID, no
    # References), from another address: only the reply's Message-ID leads to the case.
    answer = await post(
        client,
        mail,
        {
            "sender": "bob@example.dk",
            "to": ["support@acme.test"],
            "subject": "Re: Faktura 1234",
            "text_body": "Tak!",
            "message_id": "<m3@example.dk>",
            "in_reply_to": reply["message_id"],
        },
    )
    assert (answer["case_id"], answer["outcome"]) == (case_id, "joined")

    conversation = await client.get(
        f"/v1/cases/{case_id}/messages", headers=bearer(quick, "a1", "agent")
    )
    inbound, outbound, answered = conversation.json()["messages"]
    assert answered["text"] == "Tak!"
    assert (inbound["direction"], outbound["direction"]) == ("inbound", "outbound")
    assert outbound["sender"] == {"kind": "agent", "id": "a1", "address": None, "name": None}
    assert (outbound["text"], outbound["delivery"]) == (text["text"], "delivered")


async def test_a_reply_the_adapter_never_takes_ends_failed_and_says_why(quick, client):
    counted = delivery_changes("chat", "failed")
    admin = bearer(quick, "ops", "admin")
    port = free_port()  # nothing listens there
    chat = await register(client, admin, "chat", f"http://127.0.0.1:{port}/chat-nordics")
    opened = await post(
        client, chat, {"session_id": "s1", "visitor": {"id": "v1"}, "message": "Hej?"}
    )
    await quick.deliver(assigned(opened["case_id"], "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    replies = f"/v1/cases/{opened['case_id']}/replies"
    for not_for_chat in (
        {"text": "x", "subject": "s"},
        {"text": "x", "html": "<p>x</p>"},
        {"text": "x" * 4001},
    ):
        refused = await client.post(replies, json=not_for_chat, headers=agent)
        assert refused.status_code == 422, refused.text
    assert (await client.post(replies, json={"text": "  "}, headers=agent)).status_code == 422

    posted = await client.post(
        replies, json={"text": "Hej! Hvad kan jeg hjælpe med?"}, headers=agent
    )
    assert posted.status_code == 202, posted.text
    await send_until_settled(quick, rounds=20)
    [failed] = await quick.published(ReplyDeliveryChanged)
    assert failed.state == "failed"
    assert delivery_changes("chat", "failed") == counted + 1
    assert failed.reason.startswith(
        "the adapter did not take it in 2 attempts: ClientConnectorError"
    ), failed.reason
    conversation = await client.get(f"/v1/cases/{opened['case_id']}/messages", headers=agent)
    reply = conversation.json()["messages"][-1]
    assert (reply["delivery"], reply["delivery_error"]) == ("failed", failed.reason)


async def test_no_reply_without_an_outbound_address_or_on_a_phone_case(quick, client):
    admin = bearer(quick, "ops", "admin")
    chat = await register(client, admin, "chat", None)
    opened = await post(
        client, chat, {"session_id": "s1", "visitor": {"id": "v1"}, "message": "Hej?"}
    )
    await quick.deliver(assigned(opened["case_id"], "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    replies = f"/v1/cases/{opened['case_id']}/replies"
    missing = await client.post(replies, json={"text": "Hej"}, headers=agent)
    assert missing.status_code == 409, missing.text
    assert "outbound address" in missing.json()["detail"]
    changed = await client.patch(
        f"/v1/admin/adapters/{chat['id']}",
        json={"outbound_url": "http://127.0.0.1:9/chat"},
        headers=admin,
    )
    assert changed.json()["outbound_url"] == "http://127.0.0.1:9/chat"
    assert changed.json()["enabled"] is True
    for wrong in ({}, {"outbound_url": "ftp://x"}, {"enabled": None}):
        bad = await client.patch(f"/v1/admin/adapters/{chat['id']}", json=wrong, headers=admin)
        assert bad.status_code == 422, (wrong, bad.text)
    assert (await client.post(replies, json={"text": "Hej"}, headers=agent)).status_code == 202

    phone = await register(client, admin, "phone", "http://127.0.0.1:9/phone")
    call = await post(
        client,
        phone,
        {"event": "call_missed", "call_id": "c1", "caller_number": "+4520123456"},
    )
    await quick.deliver(assigned(call["case_id"], "a1", quick_now()))
    refused = await client.post(
        f"/v1/cases/{call['case_id']}/replies", json={"text": "Hej"}, headers=agent
    )
    assert refused.status_code == 422
    assert refused.json()["detail"] == "a phone case takes no written reply"


def quick_now() -> datetime:
    return datetime.now(UTC)


def survey_requested(case: dict, channel: str, language: str, survey_id: str) -> SurveyRequested:
    now = quick_now()
    return SurveyRequested(
        survey_id=survey_id,
        case_id=case["case_id"],
        customer_id=case["customer_id"],
        channel=channel,
        language=language,
        region="nordics",
        link=f"https://surveys.acme.test/s/{survey_id}",
        questions=("csat",),
        requested_at=now,
        expires_at=now + timedelta(days=7),
    )


async def test_a_survey_request_goes_out_through_the_case_s_adapter_in_the_customer_s_language(
    quick, client
):
    admin = bearer(quick, "ops", "admin")
    port = free_port()
    mail = await register(client, admin, "email", f"http://127.0.0.1:{port}/email-nordics")
    case = await post(
        client,
        mail,
        {
            "sender": "ann@example.dk",
            "to": ["support@acme.test"],
            "subject": "Pakke",
            "text_body": "Hej, hvor er min pakke?",
            "message_id": "<p1@example.dk>",
        },
    )
    request = survey_requested(case, "email", "da", "survey-1")
    await quick.deliver(request)
    await quick.deliver(request)  # the same survey again (another envelope): sent once
    receiver = SignedReceiver(secret=mail["secret"])
    async with serving(receiver.app(), port):
        await send_until_settled(quick, rounds=5)
    [(_, payload, headers)] = receiver.received
    data = payload["data"]
    assert headers["webhook-id"] == "survey-1"
    assert (data["kind"], data["language"], data["to"]) == ("survey", "da", ["ann@example.dk"])
    assert data["subject"] == "Hvordan klarede vi det?"
    assert data["text"].endswith("https://surveys.acme.test/s/survey-1")
    assert data["in_reply_to"] == "<p1@example.dk>"
    assert not await quick.published(ReplyPosted), "a survey is no agent's response"

    conversation = await client.get(f"/v1/cases/{case['case_id']}/messages", headers=admin)
    survey = conversation.json()["messages"][-1]
    assert survey["sender"] == {"kind": "system", "id": "feedback", "address": None, "name": None}
    assert survey["delivery"] == "accepted"
    [taken] = await quick.published(SurveyDeliveryChanged)
    assert (taken.survey_id, taken.state, taken.case_id) == (
        "survey-1",
        "accepted",
        case["case_id"],
    )

    phone = await register(client, admin, "phone", "http://127.0.0.1:9/phone")
    call = await post(
        client, phone, {"event": "call_missed", "call_id": "c9", "caller_number": "+4520123456"}
    )
    await quick.deliver(survey_requested(call, "phone", "da", "survey-2"))
    messages = (await client.get(f"/v1/cases/{call['case_id']}/messages", headers=admin)).json()[
        "messages"
    ]
    assert [m["direction"] for m in messages] == ["inbound"], "no written survey on a call"
    untold = (await quick.published(SurveyDeliveryChanged))[-1]
    assert (untold.survey_id, untold.state, untold.reason) == (
        "survey-2",
        "failed",
        "a phone case takes no written invitation",
    )


async def test_a_retried_reply_with_an_idempotency_key_is_posted_and_sent_once(quick, client):
    admin = bearer(quick, "ops", "admin")
    port = free_port()
    chat = await register(client, admin, "chat", f"http://127.0.0.1:{port}/chat-nordics")
    opened = await post(
        client, chat, {"session_id": "s1", "visitor": {"id": "v1"}, "message": "Hej?"}
    )
    await quick.deliver(assigned(opened["case_id"], "a1", quick_now()))
    agent = bearer(quick, "a1", "agent")
    replies = f"/v1/cases/{opened['case_id']}/replies"
    hello = {"text": "Hej! Hvad kan jeg hjælpe med?"}
    keyed = {**agent, "Idempotency-Key": "c0ffee-1"}

    first = await client.post(replies, json=hello, headers=keyed)
    assert first.status_code == 202, first.text
    assert "Idempotent-Replayed" not in first.headers
    # The client lost the answer and retries: the same reply, nothing new.
    for retry in [await client.post(replies, json=hello, headers=keyed) for _ in "ab"]:
        assert retry.status_code == 202, retry.text
        assert retry.json() == first.json()
        assert retry.headers["Idempotent-Replayed"] == "true"
    other = await client.post(replies, json={"text": "Noget andet"}, headers=keyed)
    assert other.status_code == 422, other.text
    assert "Idempotency-Key" in other.json()["detail"]
    # The draft's quoted Structured Field string names the same key as the bare text.
    quoted = await client.post(
        replies, json=hello, headers={**agent, "Idempotency-Key": '"c0ffee-1"'}
    )
    assert quoted.json() == first.json()
    assert quoted.headers["Idempotent-Replayed"] == "true"
    for bad_key in ("", '""', "x" * 201, "ø".encode(), "tab\there"):
        refused = await client.post(
            replies, json=hello, headers={**agent, "Idempotency-Key": bad_key}
        )
        assert refused.status_code == 422, (bad_key, refused.text)
    another = await client.post(
        replies, json=hello, headers={**agent, "Idempotency-Key": "c0ffee 2, with spaces"}
    )
    unkeyed = await client.post(replies, json=hello, headers=agent)  # no key: a new reply
    assert len({r.json()["reply_id"] for r in (first, another, unkeyed)}) == 3

    posted = await quick.published(ReplyPosted)
    assert len(posted) == 3
    receiver = SignedReceiver(secret=chat["secret"])
    async with serving(receiver.app(), port):
        await send_until_settled(quick, rounds=8)
    sent = sorted(headers["webhook-id"] for _, _, headers in receiver.received)
    assert sent == sorted(event.reply_id for event in posted)
    conversation = await client.get(f"/v1/cases/{opened['case_id']}/messages", headers=agent)
    outbound = [m for m in conversation.json()["messages"] if m["direction"] == "outbound"]
    assert len(outbound) == 3
