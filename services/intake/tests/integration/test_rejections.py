"""Bad signatures, stale requests, oversized and malformed bodies are refused as specified and
create nothing: no row, and no event on the cases topic."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import func, select

from switchboard.intake.adapters.orm import CaseRow, ContactRow, CustomerRow
from switchboard.intake.domain.signatures import new_secret
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app

PROBLEM_JSON = "application/problem+json"
pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def count(intake, table) -> int:
    async with intake.service.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(table))) or 0


async def test_rejected_requests_create_nothing(intake, chat_body):
    chat = await intake.register("chat")
    token = uuid.uuid4().hex

    def body(**change):
        return chat_body(token, **change)

    cases = {
        "wrong secret": (await intake.post(chat, body(), secret=new_secret()), 401),
        "stale": (
            await intake.post(chat, body(), at=datetime.now(UTC) - timedelta(minutes=6)),
            401,
        ),
        "future": (
            await intake.post(chat, body(), at=datetime.now(UTC) + timedelta(minutes=6)),
            401,
        ),
        "unknown adapter": (
            await intake.client.post(
                "/v1/adapters/nobody/contacts/chat",
                json=body(),
                headers={"webhook-id": "x", "webhook-timestamp": "1", "webhook-signature": "v1,x"},
            ),
            401,
        ),
        "unsigned": (
            await intake.client.post(f"/v1/adapters/{chat.id}/contacts/chat", json=body()),
            401,
        ),
        "too large": (await intake.post(chat, body(message="x" * 70_000)), 413),
        "not json": (await intake.post(chat, b"{not json"), 400),
        "invalid field": (await intake.post(chat, body(visitor={"id": "v", "email": "nope"})), 422),
        "unknown field": (await intake.post(chat, body(colour="blue")), 422),
        "NUL character": (await intake.post(chat, body(visitor={"id": "v\x00"})), 422),
        "wrong channel": (await intake.post(chat, body(), channel="phone"), 403),
    }
    for name, (response, status) in cases.items():
        assert response.status_code == status, (name, response.text)
        assert response.headers["content-type"].startswith(PROBLEM_JSON), name
        assert response.json()["status"] == status, name

    stale = cases["stale"][0].json()
    assert "webhook-timestamp is 360 s old" in stale["detail"]
    assert "no matching signature" in cases["wrong secret"][0].json()["detail"]
    assert "missing header" in cases["unsigned"][0].json()["detail"]
    invalid = cases["invalid field"][0].json()
    assert invalid["errors"][0]["field"] == "visitor.email"
    assert "not an e-mail address" in invalid["errors"][0]["message"]
    assert cases["unknown field"][0].json()["errors"][0]["field"] == "colour"
    assert "visitor.id contains a NUL character" in cases["NUL character"][0].json()["detail"]

    assert await count(intake, ContactRow) == 0
    assert await count(intake, CaseRow) == 0
    assert await count(intake, CustomerRow) == 0

    sentinel = await intake.post(chat, chat_body(f"sentinel-{token}"))
    assert sentinel.status_code == 202, sentinel.text
    sentinel_case = sentinel.json()["case_id"]
    written = await intake.case_events(
        lambda e: hasattr(e.data, "thread_ref"),
        until=lambda found: sum(e.data.case_id == sentinel_case for e in found) >= 2,
    )
    opened = [await intake.unsealed(e.data) for e in written]  # thread references are sealed
    events = [e for e in opened if token in (e.thread_ref or "")]
    assert {e.case_id for e in events} == {sentinel_case}
    assert len(events) == 2


async def test_malformed_raw_email_names_the_header(intake):
    mail = await intake.register("email")
    response = await intake.post(
        mail,
        b"To: support@acme.test\r\nSubject: no sender\r\n\r\nhello\r\n",
        content_type="message/rfc822",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "From"
    assert await count(intake, ContactRow) == 0


async def test_admin_api_needs_an_admin_token(intake):
    anonymous = await intake.client.get("/v1/admin/adapters")
    agent = await intake.client.get("/v1/admin/adapters", headers=intake.admin_headers("agent"))
    forged = await intake.client.get(
        "/v1/admin/adapters", headers={"Authorization": "Bearer not.a.token"}
    )
    assert [anonymous.status_code, agent.status_code, forged.status_code] == [401, 403, 401]
    invalid = await intake.client.post(
        "/v1/admin/adapters",
        json={"id": "Bad Id", "channel": "fax"},
        headers=intake.admin_headers(),
    )
    assert invalid.status_code == 422
    assert {e["field"] for e in invalid.json()["errors"]} == {"id", "channel"}
    nul_customer = await intake.client.patch(
        "/v1/admin/customers/%00", json={"vip": True}, headers=intake.admin_headers()
    )
    assert nul_customer.status_code == 422, nul_customer.text
    assert nul_customer.json()["errors"][0]["field"] == "customer_id"


async def test_an_adapter_over_its_rate_limit_gets_429_and_others_are_unaffected(intake, chat_body):
    limited = replace(
        intake.service,
        settings=intake.service.settings.model_copy(update={"adapter_rate_limit": "3/minute"}),
    )
    transport = httpx.ASGITransport(app=service_app(limited, HTTP_API))
    busy, quiet = await intake.register("chat"), await intake.register("chat")
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        intake.client, original = client, intake.client
        try:
            answers = [await intake.post(busy, chat_body(f"busy-{n}")) for n in range(4)]
            other = await intake.post(quiet, chat_body("quiet"))
        finally:
            intake.client = original
    assert [a.status_code for a in answers] == [202, 202, 202, 429]
    assert answers[-1].headers["content-type"] == PROBLEM_JSON
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert other.status_code == 202
    assert await count(intake, ContactRow) == 4, "the refused contact was not recorded"


async def test_a_provider_s_webhooks_count_against_their_adapter_s_rate_limit(intake):
    limited = replace(
        intake.service,
        settings=intake.service.settings.model_copy(update={"adapter_rate_limit": "2/minute"}),
    )
    transport = httpx.ASGITransport(app=service_app(limited, HTTP_API))
    token = "123456789:AAH-rate_limit_token-0123456789"
    busy, quiet = [
        await intake.register("social", provider="telegram", bot_token=token) for _ in range(2)
    ]

    def update(n: int) -> dict:
        sender = {"id": 7000 + n, "is_bot": False, "first_name": "Ann"}
        chat = {"id": 7000 + n, "type": "private"}
        message = {"message_id": n, "from": sender, "chat": chat, "date": 1508709711}
        return {"update_id": 880000 + n, "message": message | {"text": "Hej, hvor er min pakke?"}}

    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:

        async def post(adapter, n: int) -> httpx.Response:
            headers = {"X-Telegram-Bot-Api-Secret-Token": adapter.secret}
            return await client.post(
                f"/v1/providers/telegram/{adapter.id}", json=update(n), headers=headers
            )

        answers = [await post(busy, n) for n in range(3)]
        other = await post(quiet, 9)
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert answers[-1].headers["content-type"] == PROBLEM_JSON
    assert int(answers[-1].headers["retry-after"]) >= 1
    assert other.status_code == 200
