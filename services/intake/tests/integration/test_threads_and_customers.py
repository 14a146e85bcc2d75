"""Threads across time and channels: one customer behind several identities, resolution from
routing's events, reopening within the window, VIP priority."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import CaseOpened, CaseReopened, CaseResolved, ContactReceived
from switchboard.intake.adapters.orm import CaseRow
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.testing.helpers import eventually

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def resolve_as_routing(intake, opened: CaseOpened) -> None:
    resolved = CaseResolved(
        case_id=opened.case_id,
        region=opened.region,
        channel=opened.channel,
        agent_id="agent-1",
        customer_id=opened.customer_id,
        language=opened.language,
        opened_at=opened.opened_at,
        resolved_at=datetime.now(UTC),
        resolution_code="answered",
        first_contact_resolution=True,
        handle_seconds=42.0,
    )
    record = encode(Envelope(data=resolved, source="/switchboard/routing"))
    producer = make_producer(intake.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()


async def case_status(intake, case_id: str) -> str:
    async with intake.service.sessions() as session:
        return (await session.get(CaseRow, case_id)).status


async def test_resolution_then_a_new_contact_reopens_the_case(intake, chat_body):
    chat = await intake.register("chat", region="nordics")
    token = uuid.uuid4().hex
    visitor = {"id": f"visitor-{token}", "email": f"Eva.{token[:8]}@Example.SE"}
    first = await intake.post(chat, chat_body(token, visitor=visitor))
    again = await intake.post(chat, chat_body(f"{token}-2", visitor=visitor))
    case_id = first.json()["case_id"]
    assert again.json() | {"contact_id": None} == first.json() | {
        "contact_id": None,
        "outcome": "joined",
    }

    [opened] = await intake.case_events(
        lambda e: isinstance(e.data, CaseOpened) and e.data.case_id == case_id,
        until=lambda found: len(found) >= 1,
    )
    await resolve_as_routing(intake, opened.data)

    async def resolved() -> bool:
        return await case_status(intake, case_id) == "resolved"

    assert await eventually(resolved, timeout=20)

    later = await intake.post(chat, chat_body(f"{token}-3", visitor=visitor))
    assert later.json()["case_id"] == case_id
    assert later.json()["outcome"] == "reopened"
    assert await case_status(intake, case_id) == "open"

    events = await intake.case_events(
        lambda e: e.data.case_id == case_id, until=lambda found: len(found) >= 5
    )
    kinds = [type(e.data).__name__ for e in events]
    assert kinds == [
        "CaseOpened",
        "ContactReceived",
        "ContactReceived",
        "CaseReopened",
        "ContactReceived",
    ]
    reopened = events[3].data
    assert isinstance(reopened, CaseReopened)
    assert reopened.reason.value == "repeat_contact"  # a new session of the same customer
    assert events[4].data.outcome.value == "reopened"


async def test_one_customer_across_channels_and_vip_priority(intake):
    chat = await intake.register("chat")
    mail = await intake.register("email")
    token = uuid.uuid4().hex
    address = f"ann.{token[:8]}@example.fi"
    chat_answer = await intake.post(
        chat,
        {
            "session_id": f"s-{token}",
            "visitor": {"id": f"v-{token}", "email": address.upper()},
            "message": "Moi, laskussani on virhe ja haluaisin korjauksen mahdollisimman pian.",
        },
    )
    customer_id = chat_answer.json()["customer_id"]
    promoted = await intake.client.patch(
        f"/v1/admin/customers/{customer_id}",
        json={"vip": True, "tier": "gold"},
        headers=intake.admin_headers(),
    )
    assert promoted.status_code == 200, promoted.text

    mail_answer = await intake.post(
        mail,
        {
            "sender": f" {address} ",
            "to": ["support@acme.test"],
            "subject": "Lasku",
            "text_body": "Hei, laskussani on virhe. Voitteko korjata sen?",
            "message_id": f"<{token}@example.fi>",
        },
    )
    assert mail_answer.status_code == 202, mail_answer.text
    assert mail_answer.json()["customer_id"] == customer_id
    assert mail_answer.json()["case_id"] != chat_answer.json()["case_id"]

    mail_case = mail_answer.json()["case_id"]
    events = await intake.case_events(
        lambda e: e.data.case_id == mail_case, until=lambda found: len(found) >= 2
    )
    opened = next(e.data for e in events if isinstance(e.data, CaseOpened))
    assert opened.vip is True
    assert opened.customer_tier == "gold"
    assert opened.priority == 2  # raised from e-mail's default of 3
    assert opened.language == "fi"
    received = next(e.data for e in events if isinstance(e.data, ContactReceived))
    assert received.customer_id == customer_id


async def test_a_case_resolved_long_ago_is_not_reopened(intake, chat_body):
    chat = await intake.register("chat")
    token = uuid.uuid4().hex
    first = await intake.post(chat, chat_body(token))
    case_id = first.json()["case_id"]
    async with intake.service.sessions() as session, session.begin():
        case = (await session.scalars(select(CaseRow).where(CaseRow.id == case_id))).one()
        case.status = "resolved"
        case.resolved_at = datetime(2020, 1, 1, tzinfo=UTC)
    later = await intake.post(chat, chat_body(f"{token}-2", session_id=f"session-{token}"))
    assert later.json()["outcome"] == "opened"
    assert later.json()["case_id"] != case_id


async def test_an_email_reply_to_a_resolved_thread_reopens_it_as_a_customer_reply(intake):
    mail = await intake.register("email")
    token = uuid.uuid4().hex
    first = await intake.post(
        mail,
        {
            "sender": f"olga.{token[:8]}@example.pl",
            "to": ["support@acme.test"],
            "subject": "Zwrot",
            "text_body": "Dzień dobry, chciałabym zwrócić zamówienie, które otrzymałam wczoraj.",
            "message_id": f"<q-{token}@example.pl>",
        },
    )
    case_id = first.json()["case_id"]
    async with intake.service.sessions() as session, session.begin():
        case = await session.get(CaseRow, case_id)
        case.status = "resolved"
        case.resolved_at = datetime.now(UTC)
    reply = await intake.post(
        mail,
        {
            "sender": f"Olga.{token[:8]}@Example.PL",
            "to": ["support@acme.test"],
            "subject": "Re: Zwrot",
            "text_body": "Nadal czekam na odpowiedź w sprawie zwrotu mojego zamówienia.",
            "message_id": f"<r-{token}@example.pl>",
            "in_reply_to": f"<q-{token}@example.pl>",
            "priority": 1,
        },
    )
    assert reply.json()["case_id"] == case_id
    assert reply.json()["outcome"] == "reopened"
    events = await intake.case_events(
        lambda e: e.data.case_id == case_id and isinstance(e.data, CaseReopened),
        until=lambda found: len(found) >= 1,
    )
    assert events[0].data.reason.value == "customer_reply"
    assert events[0].data.priority == 1
    assert events[0].data.language == "pl"


async def test_a_withdrawn_consent_shows_on_the_customer_s_record(intake):
    chat = await intake.register("chat")
    token = uuid.uuid4().hex
    answer = await intake.post(
        chat, {"session_id": f"s-{token}", "visitor": {"id": f"v-{token}"}, "message": "Hei"}
    )
    record = f"/v1/customers/{answer.json()['customer_id']}"
    consents = f"{record}/consents"
    for change in (
        {"purpose": "surveys", "state": "granted", "source": "import", "at": "2025-03-01T09:00Z"},
        {"purpose": "surveys", "state": "withdrawn", "source": "agent", "note": "Ei kyselyitä"},
    ):
        recorded = await intake.client.post(consents, json=change, headers=intake.admin_headers())
        assert recorded.status_code == 201, recorded.text
    read = await intake.client.get(consents, headers=intake.admin_headers())
    assert [c["state"] for c in read.json()["history"]] == ["withdrawn", "granted"]
    customer = (await intake.client.get(record, headers=intake.admin_headers())).json()
    assert customer["consents"]["surveys"]["state"] == "withdrawn"
    assert customer["consents"]["marketing"] is None
