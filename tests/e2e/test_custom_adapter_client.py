"""A team's own channel adapter written with the adapter client package, against the
running platform: the client's models are intake's OpenAPI document's (names, required
fields, choices); a Norwegian chat posted with it is a case an agent takes (a retry with the
same webhook id is the same contact; a contact intake refuses says which field); the
agent's reply reaches the adapter's outbound server, verified with the client, and the
adapter's delivery report moves it to delivered."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from switchboard.adapter_client import (
    AdapterClient,
    ChatContact,
    ChatVisitor,
    EmailContact,
    IntakeRefused,
    InvalidSignature,
    OutboundMessage,
    PhoneContact,
    SocialContact,
    read_outbound,
)
from switchboard.contracts.events import CaseOffered, ReplyDeliveryChanged
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import serving

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

QUESTION = (
    "Hei! Jeg bestilte en kaffetrakter for to uker siden, men pakken har fortsatt ikke "
    "kommet. Kan dere sjekke hvor den er?"
)


def outbound_server(secrets: list[str], received: list[OutboundMessage]) -> FastAPI:
    """The adapter's outbound address: verify, keep, answer 204 (401 when forged)."""
    app = FastAPI()

    @app.post("/outbound")
    async def outbound(request: Request) -> Response:
        try:
            message = read_outbound(await request.body(), request.headers, secrets)
        except InvalidSignature:
            return Response(status_code=401)
        received.append(message)
        return Response(status_code=204)

    return app


def request_schema(document: dict[str, Any], channel: str) -> dict[str, Any]:
    post = document["paths"]["/v1/adapters/{adapter_id}/contacts/" + channel]["post"]
    return post["requestBody"]["content"]["application/json"]["schema"]


def choices(schema: dict[str, Any]) -> set[str] | None:
    for option in [schema, *schema.get("anyOf", [])]:
        if "enum" in option:
            return set(option["enum"])
    return None


async def test_the_client_s_models_are_intake_s_documented_contacts(intake, http):
    document = (await http.get(f"{intake.base}/openapi.json")).json()
    for model in (PhoneContact, EmailContact, ChatContact, SocialContact):
        documented = request_schema(document, model.channel)
        ours = model.model_json_schema(by_alias=True)
        assert set(ours["properties"]) == set(documented["properties"]), model.channel
        assert set(ours.get("required", [])) == set(documented.get("required", [])), model.channel
        for name, field in documented["properties"].items():
            assert choices(ours["properties"][name]) == choices(field), (model.channel, name)
    visitor = request_schema(document, "chat")["properties"]["visitor"]
    assert set(ChatVisitor.model_json_schema()["properties"]) == set(visitor["properties"])


async def test_an_adapter_written_with_the_client_carries_a_conversation(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    region = platform.regions.nordics  # no other e2e test hires Norwegian speakers
    port = free_port()
    registered = await intake.register(
        "chat", region, outbound_url=f"http://127.0.0.1:{port}/outbound"
    )
    agent = f"ingrid-{token}"
    await routing.hire(agent, region=region, languages=["nb"], skills={"support": 8})
    await routing.available(agent)
    received: list[OutboundMessage] = []

    async with (
        AdapterClient(intake.base, registered.id, registered.secret) as client,
        serving(outbound_server([registered.secret], received), port),
    ):
        contact = ChatContact(
            session_id=f"s-{token}",
            message_id="1",
            visitor=ChatVisitor(id=f"v-{token}", name="Kari Nordmann"),
            message=QUESTION,
        )
        accepted = await client.post_contact(contact, webhook_id=f"chat-{token}-1")
        again = await client.post_contact(contact, webhook_id=f"chat-{token}-1")
        assert (again.duplicate, again.case_id) == (True, accepted.case_id)
        assert not accepted.duplicate
        with pytest.raises(IntakeRefused) as refused:
            await client.post_contact(contact.model_copy(update={"message": ""}))
        assert refused.value.status == 422
        assert [error["field"] for error in refused.value.errors] == ["message"]

        await events.wait_for(
            CaseOffered, lambda e: e.case_id == accepted.case_id and e.agent_id == agent
        )
        taken = await routing.act(agent, accepted.case_id, "accept")
        assert taken.status_code == 200, taken.text
        reply = await intake.reply_when_held(
            agent, accepted.case_id, {"text": "Hei Kari! Pakken kommer i morgen."}
        )

        async def arrived() -> bool:
            return bool(received)

        assert await eventually(arrived, timeout=20), "the adapter got no reply"
        [message] = received
        document = message.data
        assert (document.kind, document.delivery_id) == ("reply", reply["reply_id"])
        assert (document.session_id, document.visitor_id) == (f"s-{token}", f"v-{token}")
        assert document.text == "Hei Kari! Pakken kommer i morgen."

        recorded = await client.report_delivery(document.delivery_id, "delivered")
        assert recorded.delivery == "delivered"
        await events.wait_for(
            ReplyDeliveryChanged,
            lambda e: e.reply_id == reply["reply_id"] and e.state.value == "delivered",
        )
        with pytest.raises(IntakeRefused) as unknown:
            await client.report_delivery("no-such-reply", "delivered")
        assert unknown.value.status == 404
