"""Inbound-mail webhooks on PostgreSQL and Kafka: a Postmark delivery and a SendGrid raw
delivery each make one contact and one ContactReceived; Postmark retrying its delivery (a
burst, while the first is in flight) makes no second one; a wrong Basic password makes
nothing."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived
from switchboard.intake.adapters.orm import ContactRow

from ..unit.inbound_mail_samples import SENDGRID_BOUNDARY, form_type, postmark, wire

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def basic(user: str, password: str) -> dict[str, str]:
    return {"authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}


async def contacts_of(intake, adapter_id: str) -> int:
    async with intake.service.sessions() as session:
        query = select(func.count()).select_from(ContactRow)
        return (await session.scalar(query.where(ContactRow.adapter_id == adapter_id))) or 0


async def test_postmark_and_sendgrid_deliveries_are_one_contact_each(intake):
    adapter = await intake.register("email", region="nordics")
    postmark_path = f"/v1/providers/postmark/{adapter.id}"
    delivery = json.dumps(postmark()).encode()
    json_type = {"content-type": "application/json"}

    refused = await intake.client.post(
        postmark_path, content=delivery, headers=json_type | basic(adapter.id, "wrong")
    )
    assert refused.status_code == 401
    assert await contacts_of(intake, adapter.id) == 0

    burst = await asyncio.gather(
        *[
            intake.client.post(
                postmark_path,
                content=delivery,
                headers=json_type | basic(adapter.id, adapter.secret),
            )
            for _ in range(4)
        ]
    )
    assert {answer.status_code for answer in burst} == {200}, [a.text for a in burst]
    assert len({answer.json()["contact_id"] for answer in burst}) == 1
    assert sorted(answer.json()["duplicate"] for answer in burst) == [False] + [True] * 3

    sendgrid = await intake.client.post(
        f"/v1/providers/sendgrid/{adapter.id}",
        content=wire("sendgrid_raw.form"),
        headers={"content-type": form_type(SENDGRID_BOUNDARY)} | basic(adapter.id, adapter.secret),
    )
    assert sendgrid.status_code == 200, sendgrid.text
    assert await contacts_of(intake, adapter.id) == 2

    wanted = {burst[0].json()["contact_id"], sendgrid.json()["contact_id"]}
    events = await intake.case_events(
        lambda e: isinstance(e.data, ContactReceived) and e.data.contact_id in wanted,
        until=lambda found: len(found) >= 2,
        timeout=10,
    )
    assert sorted(e.data.contact_id for e in events) == sorted(wanted)
    assert {e.data.channel.value for e in events} == {"email"}
