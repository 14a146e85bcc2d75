"""Adapters retry: the same webhook id or provider message id returns the original answer and
creates nothing new. Rotating a secret keeps the previous one valid."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived
from switchboard.intake.adapters.orm import ContactRow
from switchboard.intake.domain.signatures import new_secret, sign

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def contacts_in_db(intake) -> int:
    async with intake.service.sessions() as session:
        return (await session.scalar(select(func.count()).select_from(ContactRow))) or 0


async def test_retries_return_the_original_result_and_create_nothing(intake, chat_body):
    chat = await intake.register("chat")
    token = uuid.uuid4().hex
    body = chat_body(token)

    first = await intake.post(chat, body, webhook_id=f"wh-{token}")
    same_webhook = await intake.post(chat, body, webhook_id=f"wh-{token}")
    same_message = await intake.post(chat, body, webhook_id=f"another-{token}")
    assert first.status_code == same_webhook.status_code == same_message.status_code == 202
    assert first.json() | {"duplicate": True} == same_webhook.json() == same_message.json()
    assert same_webhook.headers["Idempotent-Replayed"] == "true"

    raw = json.dumps(chat_body(token, message_id=f"burst-{token}")).encode()
    burst = await asyncio.gather(
        *[
            intake.client.post(
                f"/v1/adapters/{chat.id}/contacts/chat",
                content=raw,
                headers={
                    "content-type": "application/json",
                    **sign(
                        secret=chat.secret,
                        webhook_id=f"burst-{i}-{token}",
                        body=raw,
                        at=datetime.now(UTC),
                    ),
                },
            )
            for i in range(5)
        ]
    )
    assert {r.status_code for r in burst} == {202}
    assert len({r.json()["contact_id"] for r in burst}) == 1
    assert await contacts_in_db(intake) == 2

    contact_ids = {first.json()["contact_id"], burst[0].json()["contact_id"]}
    events = await intake.case_events(
        lambda e: isinstance(e.data, ContactReceived) and e.data.contact_id in contact_ids,
        until=lambda found: len(found) >= 3,
        timeout=8,
    )
    assert sorted(e.data.contact_id for e in events) == sorted(contact_ids)


async def test_rotation_keeps_the_previous_secret_valid(intake, chat_body):
    chat = await intake.register("chat")
    rotated = await intake.client.post(
        f"/v1/admin/adapters/{chat.id}/rotate-secret", headers=intake.admin_headers()
    )
    assert rotated.status_code == 200
    new = rotated.json()["secret"]
    assert new != chat.secret
    assert rotated.json()["previous_secret_expires_at"] is not None

    by_old = await intake.post(chat, chat_body(uuid.uuid4().hex), secret=chat.secret)
    by_new = await intake.post(chat, chat_body(uuid.uuid4().hex), secret=new)
    by_stranger = await intake.post(chat, chat_body(uuid.uuid4().hex), secret=new_secret())
    assert [by_old.status_code, by_new.status_code, by_stranger.status_code] == [202, 202, 401]

    listed = await intake.client.get("/v1/admin/adapters", headers=intake.admin_headers())
    assert [a["id"] for a in listed.json()] == [chat.id]
    assert "secret" not in json.dumps(listed.json()).replace("previous_secret_expires_at", "")

    disabled = await intake.client.patch(
        f"/v1/admin/adapters/{chat.id}", json={"enabled": False}, headers=intake.admin_headers()
    )
    assert disabled.json()["enabled"] is False
    refused = await intake.post(chat, chat_body(uuid.uuid4().hex), secret=new)
    assert refused.status_code == 401


async def test_a_burst_of_contacts_is_threaded_as_if_one_came_after_another(intake, chat_body):
    chat = await intake.register("chat")
    token = uuid.uuid4().hex
    same_session = [
        chat_body(token, message_id=f"m{i}", visitor={"id": f"visitor-{token}"}) for i in range(8)
    ]
    strangers = [chat_body(f"{token}-{i}") for i in range(8)]
    answers = await asyncio.gather(*[intake.post(chat, body) for body in same_session + strangers])
    assert {answer.status_code for answer in answers} == {202}
    session_cases = {answer.json()["case_id"] for answer in answers[:8]}
    stranger_cases = {answer.json()["case_id"] for answer in answers[8:]}
    assert len(session_cases) == 1
    assert len(stranger_cases) == 8
    assert session_cases.isdisjoint(stranger_cases)
    outcomes = sorted(answer.json()["outcome"] for answer in answers[:8])
    assert outcomes == ["joined"] * 7 + ["opened"]
    assert await contacts_in_db(intake) == 16
