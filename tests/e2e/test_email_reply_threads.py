"""An e-mail conversation across the services: a customer writes, an agent replies through
intake, the adapter receives the reply signed and addressed as mail clients expect (To,
Re: subject, In-Reply-To and References of the thread, its own Message-ID), and an answer
to that reply from another address joins the same case by the reply's Message-ID alone."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from switchboard.contracts.events import ReplyPosted
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import SignedReceiver, serving

from .platform import taken_by

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

QUESTION = (
    "Guten Tag, auf meiner Rechnung steht ein falscher Betrag. Ich habe zweimal für dieselbe "
    "Bestellung bezahlt und möchte das Geld zurück."
)
REPLY = "Guten Tag Frau Vogt, wir haben die doppelte Zahlung gefunden und erstatten sie heute."
ANSWER = "Vielen Dank, das Geld ist angekommen."


def mail(*, sender: str, subject: str, text: str, message_id: str, **thread: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@acme.test"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for header, value in thread.items():
        message[header.replace("_", "-").title()] = value
    message.set_content(text)
    return message.as_bytes()


async def test_a_reply_goes_out_threaded_and_an_answer_to_it_joins_the_case(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires German speakers in this region: the offer can only be ours.
    region = platform.regions.nordics
    port = free_port()
    inbox = await intake.register("email", region, outbound_url=f"http://127.0.0.1:{port}/out")
    receiver = SignedReceiver(secret=inbox.secret)
    agent = f"moritz-{token}"
    await routing.hire(agent, region=region, languages=["de"], skills={"support": 8})
    await routing.available(agent)
    first_id = f"<first-{token}@example.de>"

    async with serving(receiver.app(), port):
        case_id = await taken_by(
            agent,
            intake=intake,
            routing=routing,
            events=events,
            adapter=inbox,
            contact=mail(
                sender="Lena Vogt <Lena.Vogt@example.de>",
                subject="Rechnung doppelt bezahlt",
                text=QUESTION,
                message_id=first_id,
            ),
            content_type="message/rfc822",
        )

        reply = await intake.reply_when_held(agent, case_id, {"text": REPLY})
        assert reply["subject"] == "Re: Rechnung doppelt bezahlt"
        await events.wait_for(ReplyPosted, lambda e: e.reply_id == reply["reply_id"])

        async def received() -> bool:
            return bool(receiver.received)

        assert await eventually(received, timeout=20), "the adapter got no reply"
    [(_, payload, headers)] = receiver.received
    assert receiver.forged == 0
    assert headers["webhook-id"] == reply["reply_id"]
    sent = payload["data"]
    assert sent["to"] == ["lena.vogt@example.de"]
    assert (sent["subject"], sent["message_id"]) == (reply["subject"], reply["message_id"])
    assert (sent["in_reply_to"], sent["references"]) == (first_id, [first_id])
    assert sent["text"] == REPLY

    # Her husband answers the reply from his own address, quoting only the reply.
    answer = await intake.post(
        inbox,
        mail(
            sender="Jan Vogt <jan.vogt@example.de>",
            subject=f"Re: {reply['subject'].removeprefix('Re: ')}",
            text=ANSWER,
            message_id=f"<answer-{token}@example.de>",
            in_reply_to=reply["message_id"],
        ),
        content_type="message/rfc822",
    )
    assert answer.status_code == 202, answer.text
    assert (answer.json()["case_id"], answer.json()["outcome"]) == (case_id, "joined")

    conversation = await http.get(
        f"{platform.url('intake')}/v1/cases/{case_id}/messages", headers=platform.auth(agent)
    )
    assert conversation.status_code == 200, conversation.text
    messages = conversation.json()["messages"]
    assert [(m["direction"], m["text"].strip()) for m in messages] == [
        ("inbound", QUESTION),
        ("outbound", REPLY),
        ("inbound", ANSWER),
    ]
