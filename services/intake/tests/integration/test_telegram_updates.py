"""Telegram's webhook on PostgreSQL and Kafka: a burst of retries of one update (Telegram
retries while it waits) makes one contact and one ContactReceived; a wrong secret token
makes nothing; an update intake does not handle is answered 200 and ignored."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived
from switchboard.intake.adapters.orm import ContactRow

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
HEADER = "X-Telegram-Bot-Api-Secret-Token"


async def contacts_of(intake, adapter_id: str) -> int:
    async with intake.service.sessions() as session:
        query = select(func.count()).select_from(ContactRow)
        return (await session.scalar(query.where(ContactRow.adapter_id == adapter_id))) or 0


async def test_a_burst_of_one_update_is_one_contact_and_a_wrong_token_is_none(intake):
    bot = await intake.register(
        "social", provider="telegram", bot_token="123456789:AAH-integration_token-0123456789"
    )
    path = f"/v1/providers/telegram/{bot.id}"
    user = {"id": 4242, "is_bot": False, "first_name": "Ann", "username": "ann_example"}
    update = {  # the shape of aiogram's dataset.py UPDATE, ids of this test's own
        "update_id": 900001,
        "message": {
            "message_id": 7,
            "from": user,
            "chat": {"id": 4242, "first_name": "Ann", "type": "private"},
            "date": 1508709711,
            "text": f"Hej, min ordre {uuid.uuid4().hex[:6]} er ikke kommet.",
        },
    }
    refused = await intake.client.post(path, json=update, headers={HEADER: "wrong"})
    assert refused.status_code == 401
    assert await contacts_of(intake, bot.id) == 0

    burst = await asyncio.gather(
        *[intake.client.post(path, json=update, headers={HEADER: bot.secret}) for _ in range(5)]
    )
    assert {answer.status_code for answer in burst} == {200}, [a.text for a in burst]
    assert len({answer.json()["contact_id"] for answer in burst}) == 1
    assert sorted(answer.json()["duplicate"] for answer in burst) == [False] + [True] * 4
    assert await contacts_of(intake, bot.id) == 1

    ignored = await intake.client.post(
        path,
        json={"update_id": 900002, "callback_query": {"id": "1", "from": user, "data": "x"}},
        headers={HEADER: bot.secret},
    )
    assert ignored.status_code == 200
    assert "ignored" in ignored.json()

    contact_id = burst[0].json()["contact_id"]
    events = await intake.case_events(
        lambda e: isinstance(e.data, ContactReceived) and e.data.contact_id == contact_id,
        until=lambda found: len(found) >= 1,
        timeout=8,
    )
    assert [e.data.contact_id for e in events] == [contact_id]
