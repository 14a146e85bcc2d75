"""Intake's app in-process on SQLite (no broker): admin routes in a unit of work committed
before the answer, signed contacts through the group commit, the adapter cache forgotten
once a change commits."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from switchboard.contracts.events import CaseOpened
from switchboard.intake.domain.signatures import sign
from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app


@pytest.fixture
async def http(intake):
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        token = intake.service.tokens.issue(subject="ops", role="admin", ttl=timedelta(minutes=5))
        client.headers["Authorization"] = f"Bearer {token}"
        yield client


async def post_chat(
    http, adapter: dict, secret: str, visitor: str, email: str | None = None
) -> httpx.Response:
    who = {"id": visitor, **({"email": email} if email else {})}
    body = json.dumps({"session_id": f"s-{visitor}", "visitor": who, "message": "Hej"}).encode()
    return await post(http, f"/v1/adapters/{adapter['id']}/contacts/chat", body, secret)


async def test_a_signed_contact_becomes_a_case_and_a_disabled_adapter_is_refused_at_once(
    intake, http
):
    registered = await http.post("/v1/admin/adapters", json={"id": "web", "channel": "chat"})
    assert registered.status_code == 201, registered.text
    adapter, secret = registered.json(), registered.json()["secret"]

    accepted = await post_chat(http, adapter, secret, "v1")
    assert accepted.status_code == 202, accepted.text
    [opened] = await intake.published(CaseOpened)
    assert opened.case_id == accepted.json()["case_id"]

    disabled = await http.patch("/v1/admin/adapters/web", json={"enabled": False})
    assert disabled.json()["enabled"] is False
    refused = await post_chat(http, adapter, secret, "v2")
    assert refused.status_code == 401, "the cached adapter was forgotten when the change committed"
    assert [a["enabled"] for a in (await http.get("/v1/admin/adapters")).json()] == [False]


async def test_a_vip_customer_s_next_case_is_urgent(intake, http):
    chat = (await http.post("/v1/admin/adapters", json={"id": "web", "channel": "chat"})).json()
    mail = (await http.post("/v1/admin/adapters", json={"id": "mail", "channel": "email"})).json()
    missing = await http.patch("/v1/admin/customers/nobody", json={"vip": True})
    assert missing.status_code == 404

    first = await post_chat(http, chat, chat["secret"], "v1", email="ann@example.dk")
    customer_id = first.json()["customer_id"]
    promoted = await http.patch(f"/v1/admin/customers/{customer_id}", json={"vip": True})
    assert promoted.json() == {"id": customer_id, "vip": True, "tier": None, "region": None}
    rotated = await http.post("/v1/admin/adapters/mail/rotate-secret")
    assert rotated.json()["previous_secret_expires_at"] is not None
    second = await post_email(http, mail, mail["secret"], "ANN@example.dk")  # the old secret
    assert second.json()["customer_id"] == customer_id

    opened = {e.case_id: e for e in await intake.published(CaseOpened)}
    assert opened[first.json()["case_id"]].vip is False
    assert opened[second.json()["case_id"]].vip is True
    assert opened[second.json()["case_id"]].priority == 2, "raised from e-mail's default of 3"


async def post_email(http, adapter: dict, secret: str, sender: str) -> httpx.Response:
    body = json.dumps(
        {
            "sender": sender,
            "to": ["support@acme.test"],
            "subject": "Faktura",
            "text_body": "Hej",
            "message_id": "<q1@example.dk>",
        }
    ).encode()
    return await post(http, f"/v1/adapters/{adapter['id']}/contacts/email", body, secret)


async def post(http, path: str, body: bytes, secret: str) -> httpx.Response:
    headers = sign(secret=secret, webhook_id=uuid.uuid4().hex, body=body, at=datetime.now(UTC))
    return await http.post(
        path, content=body, headers={"content-type": "application/json", **headers}
    )
