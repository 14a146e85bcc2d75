"""Twilio's webhooks on PostgreSQL and Kafka: a burst of retries of one SMS makes one contact
and one ContactReceived; a wrong signature makes nothing; a voicemail is a phone contact of
the same customer; no public_base_url is set, so the URL signed is the request's own."""

from __future__ import annotations

import asyncio
import uuid
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from switchboard.contracts.events import ContactReceived
from switchboard.intake.adapters.orm import ContactRow
from switchboard.intake.domain.twilio_signatures import signature

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
AUTH_TOKEN = uuid.uuid4().hex
ACCOUNT_SID = "AC" + uuid.uuid4().hex
FORM = "application/x-www-form-urlencoded"


async def contacts_of(intake, adapter_id: str) -> list[ContactRow]:
    async with intake.service.sessions() as session:
        query = select(ContactRow).where(ContactRow.adapter_id == adapter_id)
        return list((await session.scalars(query)).all())


def signed_post(intake, path: str, form: dict[str, str], token: str = AUTH_TOKEN):
    url = f"http://intake.test{path}"
    header = signature(token, url, {name: [value] for name, value in form.items()})
    return intake.client.post(
        path, content=urlencode(form), headers={"content-type": FORM, "X-Twilio-Signature": header}
    )


async def test_a_burst_of_one_sms_is_one_contact_and_a_wrong_signature_is_none(intake):
    adapter = await intake.register(
        "social",
        provider="twilio",
        default_country="DK",
        credentials={
            "account_sid": ACCOUNT_SID,
            "auth_token": AUTH_TOKEN,
            "from_number": "+4589871234",
        },
    )
    base = f"/v1/providers/twilio/{adapter.id}"
    sid = "SM" + uuid.uuid4().hex
    sms = {  # the parameters of an incoming SMS as Twilio posts them (see unit/twilio_samples)
        "ToCountry": "DK",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "SmsSid": sid,
        "SmsStatus": "received",
        "Body": f"Hej, min ordre {uuid.uuid4().hex[:6]} er ikke kommet.",
        "FromCountry": "DK",
        "To": "+4589871234",
        "NumSegments": "1",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": "+4520123456",
        "ApiVersion": "2010-04-01",
    }
    refused = await signed_post(intake, f"{base}/messages", sms, token=uuid.uuid4().hex)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert await contacts_of(intake, adapter.id) == []

    burst = await asyncio.gather(*[signed_post(intake, f"{base}/messages", sms) for _ in range(5)])
    assert {answer.status_code for answer in burst} == {200}, [a.text for a in burst]
    assert {answer.text for answer in burst} == {
        '<?xml version="1.0" encoding="UTF-8"?><Response/>'
    }
    assert sum(answer.headers.get("Idempotent-Replayed") == "true" for answer in burst) == 4
    assert len(await contacts_of(intake, adapter.id)) == 1

    call_sid = "CA" + uuid.uuid4().hex
    voicemail = {
        "AccountSid": ACCOUNT_SID,
        "CallSid": call_sid,
        "CallStatus": "completed",
        "Direction": "inbound",
        "From": "+4520123456",
        "To": "+4589871234",
        "RecordingUrl": f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/RE{uuid.uuid4().hex}",
        "RecordingDuration": "9",
    }
    recorded = await signed_post(intake, f"{base}/voice/status", voicemail)
    assert recorded.status_code == 200, recorded.text
    both = await contacts_of(intake, adapter.id)
    assert len(both) == 2
    assert len({row.customer_id for row in both}) == 1, "who texts and calls is one customer"

    events = await intake.case_events(
        lambda e: (
            isinstance(e.data, ContactReceived) and e.data.contact_id in {row.id for row in both}
        ),
        until=lambda found: len(found) >= 2,
        timeout=8,
    )
    assert sorted(e.data.contact_id for e in events) == sorted(row.id for row in both)
    assert sorted(e.data.channel for e in events) == ["phone", "social"]
