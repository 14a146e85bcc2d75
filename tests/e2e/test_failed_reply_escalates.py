"""A reply the customer never gets does not go unnoticed, across the services: an agent
takes a German chat, replies through intake, the adapter receives the reply signed and
later reports that it could not deliver it; intake publishes the failure and escalation
raises an escalation to the region's coordinator that points at it, with its own trigger
(EscalationRaised v2's reply_delivery_failed). And a reply whose adapter never takes it
(503 at every attempt) ends dead after intake's attempts and escalates the same way."""

from __future__ import annotations

import json
import uuid

import pytest
from fastapi import FastAPI, Request, Response

from switchboard.contracts.events import (
    EscalationRaised,
    ReplyDeliveryChanged,
    ReplyPosted,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import SignedReceiver, serving
from switchboard.simulator.channels import signed_headers

from .platform import OUTBOUND_MAX_ATTEMPTS, taken_by

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

GERMAN = "Guten Tag, meine Bestellung ist immer noch nicht angekommen. Können Sie nachsehen?"
REPLY = "Guten Tag! Das Paket ist gestern verschickt worden und kommt morgen an."


async def test_a_reply_the_adapter_could_not_deliver_escalates_in_the_case_s_region(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires German speakers in this region: the offer can only be ours.
    region = platform.regions.eu_west
    port = free_port()
    chat = await intake.register("chat", region, outbound_url=f"http://127.0.0.1:{port}/out")
    receiver = SignedReceiver(secret=chat.secret)
    agent = f"jonas-{token}"
    await routing.hire(agent, region=region, languages=["de"], skills={"support": 8})
    await routing.available(agent)

    async with serving(receiver.app(), port):
        contact = {
            "session_id": f"s-{token}",
            "message_id": "1",
            "visitor": {"id": f"v-{token}", "name": "Lena Vogt"},
            "message": GERMAN,
        }
        case_id = await taken_by(
            agent,
            intake=intake,
            routing=routing,
            events=events,
            adapter=chat,
            contact=contact,
        )

        reply = await intake.reply_when_held(
            agent, case_id, {"text": REPLY}, **{"Idempotency-Key": f"reply-{token}"}
        )
        reply_id = reply["reply_id"]
        await events.wait_for(ReplyPosted, lambda e: e.reply_id == reply_id)

        async def received() -> bool:
            return any(headers["webhook-id"] == reply_id for _, _, headers in receiver.received)

        assert await eventually(received, timeout=20), "the adapter got no reply"
        assert receiver.forged == 0

    # The visitor had closed the chat: the adapter says so, signed as adapters sign.
    report = json.dumps(
        {"reply_id": reply_id, "state": "failed", "reason": "the visitor closed the chat"}
    ).encode()
    reported = await http.post(
        f"{platform.url('intake')}/v1/adapters/{chat.id}/deliveries",
        content=report,
        headers={**signed_headers(chat.secret, report), "content-type": "application/json"},
    )
    assert reported.status_code == 200, reported.text
    assert reported.json()["delivery"] == "failed"

    [failed] = await events.wait_for(
        ReplyDeliveryChanged, lambda e: e.reply_id == reply_id and e.state.value == "failed"
    )
    assert (failed.case_id, failed.agent_id, failed.region) == (case_id, agent, region)
    [raised] = await events.wait_for(EscalationRaised, lambda e: e.case_id == case_id)
    assert raised.trigger.value == "reply_delivery_failed"
    assert raised.region == region
    assert (raised.raised_by.kind.value, raised.raised_by.id) == ("system", "intake")
    assert raised.reason is None, "a provider's text may quote the customer: sealed"
    raised = await intake.unsealed(raised)
    assert raised.reason == f"reply {reply_id} was not delivered: the visitor closed the chat"
    [failure] = events.of(
        ReplyDeliveryChanged, lambda e: e.reply_id == reply_id and e.state.value == "failed"
    )
    assert raised.trigger_event_id == failure.id
    assert [(t.kind.value, t.id) for t in raised.targets] == [("coordinator", "camille")]


FINNISH = "Hei, tilaukseni ei ole vieläkään saapunut. Voisitteko tarkistaa, missä paketti on?"
FINNISH_REPLY = "Hei! Paketti lähti eilen ja saapuu huomenna."


async def test_a_reply_the_adapter_never_takes_ends_dead_and_escalates(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires Finnish speakers: the offer can only be ours.
    region = platform.regions.nordics
    port = free_port()
    chat = await intake.register("chat", region, outbound_url=f"http://127.0.0.1:{port}/out")
    attempts: list[str] = []
    busy = FastAPI()

    @busy.post("/out")
    async def always_busy(request: Request) -> Response:
        attempts.append(request.headers["webhook-id"])
        return Response(status_code=503)

    agent = f"aino-{token}"
    await routing.hire(agent, region=region, languages=["fi"], skills={"support": 8})
    await routing.available(agent)

    async with serving(busy, port):
        contact = {
            "session_id": f"s-{token}",
            "message_id": "1",
            "visitor": {"id": f"v-{token}", "name": "Aino Virtanen"},
            "message": FINNISH,
        }
        case_id = await taken_by(
            agent,
            intake=intake,
            routing=routing,
            events=events,
            adapter=chat,
            contact=contact,
        )
        reply = await intake.reply_when_held(agent, case_id, {"text": FINNISH_REPLY})
        reply_id = reply["reply_id"]
        [failed] = await events.wait_for(
            ReplyDeliveryChanged,
            lambda e: e.reply_id == reply_id and e.state.value == "failed",
            timeout=30,
        )

    assert attempts == [reply_id] * OUTBOUND_MAX_ATTEMPTS, attempts
    expected = f"the adapter did not take it in {OUTBOUND_MAX_ATTEMPTS} attempts: HTTP 503"
    assert failed.reason == expected
    assert (failed.case_id, failed.agent_id, failed.region) == (case_id, agent, region)
    [raised] = await events.wait_for(EscalationRaised, lambda e: e.case_id == case_id)
    assert raised.trigger.value == "reply_delivery_failed"
    assert (
        raised.trigger_event_id
        == events.of(
            ReplyDeliveryChanged, lambda e: e.reply_id == reply_id and e.state.value == "failed"
        )[0].id
    )
    raised = await intake.unsealed(raised)
    assert raised.reason == f"reply {reply_id} was not delivered: {expected}"
    assert [(t.kind.value, t.id) for t in raised.targets] == [("coordinator", "nils")]
    # The agent sees it in the conversation: failed, and why.
    conversation = await http.get(
        f"{platform.url('intake')}/v1/cases/{case_id}/messages", headers=platform.auth(agent)
    )
    assert conversation.status_code == 200, conversation.text
    [sent] = [m for m in conversation.json()["messages"] if m["id"] == reply_id]
    assert (sent["delivery"], sent["delivery_error"]) == ("failed", expected)
