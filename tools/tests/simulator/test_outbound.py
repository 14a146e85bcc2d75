import base64
import json
import random
from datetime import UTC, datetime

import httpx
import pytest
from standardwebhooks import Webhook

from switchboard.simulator import channels, outbound
from switchboard.simulator.api import Platform, Urls
from switchboard.simulator.channels import Adapter, encode, signed_headers
from switchboard.simulator.clock import SimClock
from switchboard.simulator.customers import new_customer
from switchboard.simulator.scenario import REGIONS

SECRET = "whsec_" + base64.b64encode(b"s" * 32).decode()
OTHER_SECRET = "whsec_" + base64.b64encode(b"o" * 32).decode()
ADAPTER = Adapter("sim-abc-nordics-chat", "chat", "nordics", SECRET)
AT = datetime(2026, 11, 30, 9, 15, tzinfo=UTC)


def request(data: dict[str, object]) -> bytes:
    return encode({"type": "switchboard.reply.outbound", "timestamp": AT.isoformat(), "data": data})


@pytest.fixture
async def server():
    received: list[tuple[Adapter, dict[str, object]]] = []
    server = outbound.AdapterServer(lambda adapter, data: received.append((adapter, data)))
    await server.start(ADAPTER)
    try:
        yield server, received
    finally:
        await server.stop()


async def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient() as http:
        return await http.post(url, content=body, headers=headers)


async def test_the_adapter_server_takes_a_request_signed_with_its_secret(server):
    adapter_server, received = server
    assert adapter_server.url.startswith("http://127.0.0.1:")
    data = {"kind": "reply", "reply_id": "r1", "case_id": "c1", "channel": "chat", "text": "Hej"}
    body = request(data)
    response = await post(adapter_server.url, body, signed_headers(SECRET, body, webhook_id="r1"))
    assert response.status_code == 204
    assert received == [(ADAPTER, data)]
    # intake's retry of the same message (same webhook id) is answered but handed on once
    response = await post(adapter_server.url, body, signed_headers(SECRET, body, webhook_id="r1"))
    assert response.status_code == 204
    assert len(received) == 1
    assert adapter_server.received == 1


async def test_the_adapter_server_refuses_a_wrong_or_missing_signature(server):
    adapter_server, received = server
    body = request({"kind": "reply", "reply_id": "r2", "case_id": "c1", "channel": "chat"})
    forged = signed_headers(OTHER_SECRET, body, webhook_id="r2")
    assert (await post(adapter_server.url, body, forged)).status_code == 401
    tampered = signed_headers(SECRET, body, webhook_id="r2")
    assert (await post(adapter_server.url, body + b" ", tampered)).status_code == 401
    unsigned = {"content-type": "application/json"}
    assert (await post(adapter_server.url, body, unsigned)).status_code == 401
    assert received == []
    assert adapter_server.forged == 3


def test_most_deliveries_arrive_and_a_small_share_fails_with_a_reason():
    rng = random.Random(3)
    plans = [outbound.plan_delivery(rng, "email") for _ in range(4000)]
    failed = [plan for plan in plans if plan.failed]
    assert 0.02 < len(failed) / len(plans) < 0.06
    assert all(plan.states == ("sent", "failed") for plan in failed)
    assert {plan.reason for plan in failed} <= set(outbound.FAILURE_REASONS["email"])
    assert all(plan.states == ("sent", "delivered") for plan in plans if not plan.failed)
    chats = [outbound.plan_delivery(rng, "chat") for _ in range(1000)]
    assert any(plan.states == ("sent", "delivered", "read") for plan in chats)


@pytest.mark.parametrize(
    ("plan", "expected"),
    [
        (outbound.DeliveryPlan(("sent", "delivered", "read")), ["sent", "delivered", "read"]),
        (outbound.DeliveryPlan(("sent", "failed"), "552 5.2.2 mailbox full"), ["sent", "failed"]),
    ],
)
async def test_delivery_reports_go_to_intake_signed_like_contacts(plan, expected):
    seen: list[tuple[str, dict[str, object]]] = []

    def intake(request: httpx.Request) -> httpx.Response:
        body = request.read()
        report = Webhook(SECRET).verify(body, dict(request.headers))
        seen.append((request.url.path, report))
        return httpx.Response(200, json={"reply_id": report["reply_id"], "delivery": "x"})

    platform = Platform(Urls(intake="http://127.0.0.1:9"), "secret-" + "x" * 32)
    await platform.http.aclose()
    platform.http = httpx.AsyncClient(transport=httpx.MockTransport(intake))
    try:
        answers = await outbound.report_delivery(
            platform.report_delivery,
            ADAPTER,
            "reply-1",
            plan,
            clock=SimClock(1.0),
            rng=random.Random(1),
        )
    finally:
        await platform.close()
    assert answers == [(state, 200) for state in expected]
    assert [path for path, _ in seen] == [f"/v1/adapters/{ADAPTER.id}/deliveries"] * len(expected)
    assert [report["state"] for _, report in seen] == expected
    for _, report in seen:
        assert report["reply_id"] == "reply-1"
        assert report.get("reason") == (plan.reason if report["state"] == "failed" else None)


@pytest.fixture
def customer():
    return new_customer(random.Random(1), region=REGIONS[0], language="da", run_id="abc123")


def test_an_e_mail_answer_threads_onto_the_reply(customer):
    reply = {
        "kind": "reply",
        "channel": "email",
        "case_id": "c1",
        "subject": "Din henvendelse",
        "message_id": "<r1@mail.switchboard.example>",
        "references": ["<first@customers.example>"],
    }
    payload = channels.answer_on_thread(customer, reply, region="nordics", text="Tak", at=AT)
    assert payload["in_reply_to"] == "<r1@mail.switchboard.example>"
    assert payload["references"] == ["<first@customers.example>", "<r1@mail.switchboard.example>"]
    assert payload["subject"] == "Re: Din henvendelse"
    assert payload["sender"] == customer.email
    assert customer.last_email[-1] == payload["message_id"]


def test_chat_and_social_answers_stay_in_their_session_and_conversation(customer):
    chat = channels.answer_on_thread(
        customer,
        {"channel": "chat", "session_id": "chat-1", "visitor_id": customer.visitor_id},
        region="nordics",
        text="Tak",
        at=AT,
    )
    assert chat["session_id"] == "chat-1"
    assert chat["visitor"]["id"] == customer.visitor_id
    social = channels.answer_on_thread(
        customer,
        {
            "channel": "social",
            "platform": "facebook",
            "handle": customer.handle,
            "visibility": "private",
            "conversation_id": "conv-1",
            "in_reply_to_item_id": "item-1",
        },
        region="nordics",
        text="Tak",
        at=AT,
    )
    assert social["conversation_id"] == "conv-1"
    assert social["kind"] == "message"
    assert social["item_id"] != "item-1"
    assert json.loads(encode(social))["text"] == "Tak"


def test_the_report_with_its_conversation_counts_is_json():
    from switchboard.simulator.report import DayReport

    report = DayReport(
        run_id="abc",
        seed=1,
        day_seconds=60,
        contacts_planned=1,
        regions={},
        understaffed_regions=[],
    )
    report.conversation.failure_reasons["552 5.2.2 mailbox full"] = 2
    report.conversation.customer_answers = 1
    document = json.loads(json.dumps(report.to_json()))
    assert document["conversation"]["failure_reasons"] == {"552 5.2.2 mailbox full": 2}
    assert document["conversation"]["customer_answers"] == 1
