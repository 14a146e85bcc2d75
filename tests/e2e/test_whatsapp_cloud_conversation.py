"""A WhatsApp Cloud conversation in both directions, on the running platform: intake answers
Meta's webhook handshake with the adapter's verify token, takes a notification signed with
the app secret (and nothing unsigned), an agent takes the case and replies; the reply
reaches Graph (a stand-in on loopback checking the request as Meta documents it) from the
adapter's number with its token and becomes sent with Graph's wamid; WhatsApp's statuses
on that wamid make it delivered and then read, on Kafka and in the agent's conversation."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from switchboard.contracts.events import CaseOffered, ContactReceived, ReplyDeliveryChanged
from switchboard.intake.domain.meta_graph import signed

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(120)]

QUESTION = (
    "Hello, I ordered a pair of running shoes last week and the tracking page has not "
    "changed for five days. Could you check where my parcel is?"
)
REPLY = "Hi Sam, your parcel is at the depot and will be delivered tomorrow morning."


def notification(phone_number_id: str, **value: Any) -> dict[str, Any]:
    """A WhatsApp Cloud notification in the envelope of pywa's tests/data/updates/message.json
    and message_status.json (david-lev/pywa; services/intake/tests/unit/meta_samples.py)."""
    change = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550783881", "phone_number_id": phone_number_id},
        **value,
    }
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "102290129340398", "changes": [{"value": change, "field": "messages"}]}],
    }


def status(wamid: str, state: str, timestamp: str, recipient: str) -> dict[str, Any]:
    """A status as in pywa's message_status.json."""
    return {
        "id": wamid,
        "status": state,
        "timestamp": timestamp,
        "recipient_id": recipient,
        "conversation": {"id": "7270432eae37498234f4444b35ffc5", "origin": {"type": "service"}},
        "pricing": {"billable": True, "pricing_model": "CBP", "category": "service"},
    }


async def test_a_whatsapp_conversation_goes_both_ways_through_meta(
    platform, intake, routing, events, http, graph
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires English speakers in this region: the offer can only be ours.
    region = platform.regions.eu_west
    customer = f"4477009{int(token, 16) % 10**5:05d}"  # a wa_id: a number without '+'
    phone_number_id = str(int(token, 16) % 10**15).rjust(15, "1")
    app_secret, access_token = f"app-secret-{token}", f"EAAG{token}access"
    adapter = await intake.register(
        "social",
        region,
        provider="whatsapp",
        credentials={
            "app_secret": app_secret,
            "access_token": access_token,
            "sender_id": phone_number_id,
        },
    )
    graph.number(phone_number_id, access_token)
    webhook = f"{intake.base}/v1/providers/meta/{adapter.id}"

    # Meta's handshake when the webhook is set up: the verify token is the adapter's secret.
    challenge = {"hub.mode": "subscribe", "hub.challenge": "1158201444"}
    answered = await http.get(webhook, params=challenge | {"hub.verify_token": adapter.secret})
    assert (answered.status_code, answered.text) == (200, "1158201444")
    wrong = await http.get(webhook, params=challenge | {"hub.verify_token": "not-the-token"})
    assert wrong.status_code == 403

    agent = f"sam-{token}"
    await routing.hire(agent, region=region, languages=["en"], skills={"support": 8})
    await routing.available(agent)

    async def notify(document: dict[str, Any], secret: str = app_secret) -> dict[str, Any]:
        raw = json.dumps(document).encode()
        answer = await http.post(
            webhook,
            content=raw,
            headers={
                "content-type": "application/json",
                "X-Hub-Signature-256": signed(secret, raw),
            },
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    inbound = f"wamid.HBgM{token.upper()}"
    message = notification(
        phone_number_id,
        contacts=[{"profile": {"name": "Sam Carter"}, "wa_id": customer}],
        messages=[
            {
                "from": customer,
                "id": inbound,
                "timestamp": "1765090000",
                "type": "text",
                "text": {"body": QUESTION},
            }
        ],
    )
    forged = await http.post(
        webhook,
        content=json.dumps(message).encode(),
        headers={"X-Hub-Signature-256": signed("another-app-secret", b"{}")},
    )
    assert forged.status_code == 401
    taken = await notify(message)
    [contact] = taken["contacts"]
    case_id = str(contact["case_id"])
    [received] = await events.wait_for(ContactReceived, lambda e: e.case_id == case_id)
    assert received.provider_message_id is None, "sealed under the customer's key"
    received = await intake.unsealed(received)
    assert received.language == "en"
    assert received.provider_message_id.endswith(inbound)  # kept as whatsapp:<wamid>

    await events.wait_for(
        CaseOffered, lambda e: e.case_id == case_id and e.agent_id == agent, timeout=30
    )
    accepted = await routing.act(agent, case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    reply = await intake.reply_when_held(agent, case_id, {"text": REPLY})
    reply_id = reply["reply_id"]

    def of_reply(state: str):
        return lambda e: e.reply_id == reply_id and e.state.value == state

    await events.wait_for(ReplyDeliveryChanged, of_reply("sent"), timeout=20)
    assert graph.refused == []
    [(sender, body)] = graph.sent
    assert sender == phone_number_id
    assert body == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": customer,
        "type": "text",
        "text": {"preview_url": False, "body": REPLY},
        "context": {"message_id": inbound},
    }
    [wamid] = graph.wamids

    # The customer's phone reports the reply delivered, then read.
    moved = await notify(
        notification(
            phone_number_id,
            statuses=[
                status(wamid, "delivered", "1765090100", customer),
                status(wamid, "read", "1765090160", customer),
            ],
        )
    )
    assert moved["statuses"]["matched"] == 2, moved
    await events.wait_for(ReplyDeliveryChanged, of_reply("read"), timeout=20)
    changes = events.events(ReplyDeliveryChanged, lambda e: e.reply_id == reply_id)
    assert [change.state.value for change in changes] == ["sent", "delivered", "read"]
    assert {change.agent_id for change in changes} == {agent}

    conversation = await http.get(
        f"{intake.base}/v1/cases/{case_id}/messages", headers=platform.auth(agent)
    )
    assert conversation.status_code == 200, conversation.text
    messages = conversation.json()["messages"]
    assert [(m["direction"], m["text"]) for m in messages] == [
        ("inbound", QUESTION),
        ("outbound", REPLY),
    ]
    assert (messages[1]["id"], messages[1]["delivery"]) == (reply_id, "read")
    await routing.presence(agent, "offline")  # takes no later test's English contact
