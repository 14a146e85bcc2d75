"""WhatsApp Cloud's webhook on PostgreSQL and Kafka: a burst of deliveries of one
notification (Meta retries until it hears 200) makes one contact per message and one
ContactReceived each; a wrong signature makes nothing; a status on a message intake did not
send is taken and changes nothing. An agent's reply goes out through Graph (a stand-in on
loopback) and a burst of retried statuses moves it to delivered and read, each change
published once."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest
from fastapi import FastAPI, Request
from sqlalchemy import func, select

from switchboard.contracts.events import ContactReceived, ReplyDeliveryChanged
from switchboard.intake.adapters.orm import ContactRow, ReplyRow
from switchboard.intake.domain.meta_graph import signed
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import serving

from .test_conversation_access import agent, assign_as_routing

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
APP_SECRET = "integration-app-secret-0123456789"
PHONE_NUMBER_ID = "106540352242922"


async def contacts_of(intake, adapter_id: str) -> int:
    async with intake.service.sessions() as session:
        query = select(func.count()).select_from(ContactRow)
        return (await session.scalar(query.where(ContactRow.adapter_id == adapter_id))) or 0


def notification(*messages: dict, statuses: tuple[dict, ...] = ()) -> dict:
    """The shape of pywa's tests/data/updates/message.json, ids of this test's own."""
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4570102030", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Ann Hansen"}, "wa_id": "4520123456"}],
        "messages": list(messages),
        "statuses": list(statuses),
    }
    change = {"value": value, "field": "messages"}
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}


def text(wamid: str, body: str) -> dict:
    return {
        "from": "4520123456",
        "id": wamid,
        "timestamp": "1765000000",
        "type": "text",
        "text": {"body": body},
    }


async def test_a_burst_of_one_notification_is_one_contact_per_message(intake):
    adapter = await intake.register(
        "social",
        provider="whatsapp",
        credentials={
            "app_secret": APP_SECRET,
            "access_token": "EAAG-integration-token",
            "sender_id": PHONE_NUMBER_ID,
        },
    )
    path = f"/v1/providers/meta/{adapter.id}"
    tag = uuid.uuid4().hex[:8]
    status = {"id": f"wamid.elsewhere-{tag}", "status": "read", "timestamp": "1765000001"}
    raw = json.dumps(
        notification(
            text(f"wamid.{tag}-1", f"Hej, min ordre {tag} er ikke kommet."),
            text(f"wamid.{tag}-2", "Den skulle være her i mandags."),
            statuses=(status,),
        )
    ).encode()

    tampered = raw.replace(b"mandags", b"tirsdags")
    for body, header in ((raw, signed("another-secret", raw)), (tampered, signed(APP_SECRET, raw))):
        refused = await intake.client.post(
            path, content=body, headers={"X-Hub-Signature-256": header}
        )
        assert refused.status_code == 401
    assert await contacts_of(intake, adapter.id) == 0

    headers = {"X-Hub-Signature-256": signed(APP_SECRET, raw), "content-type": "application/json"}
    burst = await asyncio.gather(
        *[intake.client.post(path, content=raw, headers=headers) for _ in range(5)]
    )
    assert {answer.status_code for answer in burst} == {200}, [a.text for a in burst]
    made = {c["contact_id"] for answer in burst for c in answer.json()["contacts"]}
    assert len(made) == 2
    assert sum(not c["duplicate"] for a in burst for c in a.json()["contacts"]) == 2
    assert {a.json()["statuses"]["matched"] for a in burst} == {0}
    assert await contacts_of(intake, adapter.id) == 2

    events = await intake.case_events(
        lambda e: isinstance(e.data, ContactReceived) and e.data.contact_id in made,
        until=lambda found: len(found) >= 2,
        timeout=8,
    )
    assert sorted(e.data.contact_id for e in events) == sorted(made)
    assert len({e.data.case_id for e in events}) == 1


class Graph:
    """Graph's ``POST /v23.0/{phone number id}/messages``: records the request, answers with
    a wamid."""

    def __init__(self, wamid: str) -> None:
        self.wamid = wamid
        self.requests: list[tuple[str, str, dict]] = []

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.post("/v23.0/{sender}/messages")
        async def messages(sender: str, request: Request) -> dict:
            self.requests.append((sender, request.headers["authorization"], await request.json()))
            return {"messaging_product": "whatsapp", "messages": [{"id": self.wamid}]}

        return app


async def test_a_reply_goes_out_through_graph_and_retried_statuses_move_it_once(intake):
    adapter = await intake.register(
        "social",
        provider="whatsapp",
        credentials={
            "app_secret": APP_SECRET,
            "access_token": "EAAG-integration-token",
            "sender_id": PHONE_NUMBER_ID,
        },
    )
    path = f"/v1/providers/meta/{adapter.id}"
    tag = uuid.uuid4().hex[:8]

    async def notify(document: dict) -> dict:
        raw = json.dumps(document).encode()
        headers = {"X-Hub-Signature-256": signed(APP_SECRET, raw)}
        answer = await intake.client.post(path, content=raw, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    opened = await notify(notification(text(f"wamid.{tag}-in", "Hvor er min pakke?")))
    case_id = opened["contacts"][0]["case_id"]
    agent_id = f"agent-{tag}"
    await assign_as_routing(intake, case_id, agent_id)
    headers = agent(intake, agent_id)
    conversation = f"/v1/cases/{case_id}/messages"

    async def held() -> bool:
        return (await intake.client.get(conversation, headers=headers)).status_code == 200

    assert await eventually(held, timeout=20)
    graph = Graph(f"wamid.{tag}-out")
    port = int(intake.service.settings.meta_graph_base.split(":")[2].split("/")[0])
    async with serving(graph.app(), port):
        posted = await intake.client.post(
            f"/v1/cases/{case_id}/replies", json={"text": "Den er på vej."}, headers=headers
        )
        assert posted.status_code == 202, posted.text
        reply_id = posted.json()["reply_id"]

        async def sent() -> bool:
            async with intake.service.sessions() as session:
                row = await session.get(ReplyRow, reply_id)
            return row is not None and row.delivery == "sent"

        assert await eventually(sent, timeout=20)
    [(sender, authorization, body)] = graph.requests
    assert (sender, authorization) == (PHONE_NUMBER_ID, "Bearer EAAG-integration-token")
    assert (body["to"], body["context"]) == ("4520123456", {"message_id": f"wamid.{tag}-in"})

    statuses = tuple(
        {
            "id": graph.wamid,
            "status": state,
            "timestamp": "1765000100",
            "recipient_id": "4520123456",
        }
        for state in ("delivered", "read")
    )
    retried = await asyncio.gather(*[notify(notification(statuses=statuses)) for _ in range(4)])
    assert {answer["statuses"]["matched"] for answer in retried} == {2}
    async with intake.service.sessions() as session:
        assert (await session.get(ReplyRow, reply_id)).delivery == "read"
    changes = await intake.case_events(
        lambda e: isinstance(e.data, ReplyDeliveryChanged) and e.data.reply_id == reply_id,
        until=lambda found: len(found) >= 3,
        timeout=8,
    )
    assert [e.data.state for e in changes] == ["sent", "delivered", "read"]
