"""An e-mail conversation over SMTP in both directions, on the running platform: a customer's
mail handed to intake's own SMTP receiver is a case an agent takes; the agent's reply goes
out through the team's mail server (a real SMTP server on loopback, the adapter's
``provider: smtp`` relay) from the team's address, to the customer, as ``Re:`` of their
subject and threaded on their mail; the customer's answer to that reply, again over SMTP,
joins the same case; a bounce of a later reply, handed to the receiver like any mail, fails
that reply in the mail system's words and opens no case."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import aiosmtplib
import pytest

from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    ContactReceived,
    ReplyDeliveryChanged,
)

from .platform import LOOPBACK, MAIL_DOMAIN

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(120)]

SUPPORT = f"support@{MAIL_DOMAIN}"
QUESTION = (
    "Hello, the lid of the kettle I bought from you last month no longer closes, so it "
    "keeps switching itself off. Can I get a replacement lid or a new kettle?"
)
REPLY = "Hello Alex, we are sending you a new kettle today; keep the old one until it arrives."
ANSWER = "Thank you very much, that is great news. I will wait for the parcel."
SECOND_REPLY = "Hello Alex, the courier's tracking number is 4711."


def mail(customer: str, *, subject: str, text: str, message_id: str, **thread: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = f"Alex Morgan <{customer}>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = message_id
    for header, value in thread.items():
        message[header.replace("_", "-").title()] = value
    message.set_content(text)
    return message


def dsn(returned_id: str, customer: str) -> bytes:
    """A bounce as Postfix's bounce(8) writes one (RFC 3464: a human part, the
    ``message/delivery-status`` part, the returned headers), as in intake's
    tests/unit/test_smtp_replies.py."""
    return (
        "From: MAILER-DAEMON@mx.acme.test (Mail Delivery System)\r\n"
        f"To: {SUPPORT}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Message-ID: <bounce-{uuid.uuid4().hex}@mx.acme.test>\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\r\n\r\n'
        "--B\r\nContent-Type: text/plain\r\n\r\n"
        "This is the mail system at host mx.acme.test.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\nbe delivered.\r\n\r\n"
        "--B\r\nContent-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.test\r\n\r\n"
        f"Final-Recipient: rfc822; {customer}\r\n"
        "Action: failed\r\nStatus: 5.2.2\r\nRemote-MTA: dns; mx.example.org\r\n"
        "Diagnostic-Code: smtp; 552 5.2.2 mailbox full\r\n\r\n"
        "--B\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"From: Acme Support <{SUPPORT}>\r\nMessage-ID: {returned_id}\r\n"
        "Subject: Re: Kettle lid does not close\r\n\r\n"
        "--B--\r\n"
    ).encode()


async def test_a_mail_conversation_goes_both_ways_over_smtp(
    platform, intake, routing, events, http, mail_relay
):
    token = uuid.uuid4().hex[:10]
    customer = f"alex.morgan.{token}@example.org"
    # No other e2e test hires English speakers in this region: the offer can only be ours.
    region = platform.regions.eu_central
    await intake.smtp_receiver_adapter(
        region,
        provider="smtp",
        credentials={
            "host": LOOPBACK,
            "port": mail_relay.port,
            "security": "none",
            "from_address": SUPPORT,
            "from_name": "Acme Support",
        },
    )
    agent = f"alice-{token}"
    await routing.hire(agent, region=region, languages=["en"], skills={"support": 8})
    await routing.available(agent)

    async def deliver(message: EmailMessage | bytes, sender: str = customer) -> str:
        """Handed to intake's receiver as a mail server would (a bounce from the null
        sender ``<>``): the text of its 250."""
        raw = message if isinstance(message, bytes) else message.as_bytes()
        async with aiosmtplib.SMTP(hostname=LOOPBACK, port=platform.smtp_port) as session:
            await session.mail(sender)
            await session.rcpt(SUPPORT)
            answer = await session.data(raw)
        assert answer.code == 250, answer
        return answer.message

    first_id = f"<kettle-{token}@example.org>"
    answer = await deliver(
        mail(customer, subject="Kettle lid does not close", text=QUESTION, message_id=first_id)
    )
    assert answer.startswith("2.0.0 Accepted as contact "), answer
    contact_id = answer.split()[-1]
    [received] = await events.wait_for(ContactReceived, lambda e: e.contact_id == contact_id)
    case_id = received.case_id
    [opened] = await events.wait_for(CaseOpened, lambda e: e.case_id == case_id)
    assert (opened.channel.value, opened.language, opened.region) == ("email", "en", region)

    await events.wait_for(
        CaseOffered, lambda e: e.case_id == case_id and e.agent_id == agent, timeout=30
    )
    accepted = await routing.act(agent, case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    reply = await intake.reply_when_held(agent, case_id, {"text": REPLY})
    assert reply["subject"] == "Re: Kettle lid does not close"

    def of_reply(reply_id: str, state: str):
        return lambda e: e.reply_id == reply_id and e.state.value == state

    await events.wait_for(ReplyDeliveryChanged, of_reply(reply["reply_id"], "sent"))
    [(envelope_from, envelope_to, sent)] = mail_relay.relay.taken
    assert (envelope_from, envelope_to) == (SUPPORT, [customer])
    assert sent["From"] == f"Acme Support <{SUPPORT}>"
    assert sent["To"] == customer
    assert sent["Subject"] == "Re: Kettle lid does not close"
    assert sent["Message-ID"] == reply["message_id"]
    assert (sent["In-Reply-To"], sent["References"]) == (first_id, first_id)
    assert sent.get_body(("plain",)).get_content().strip() == REPLY

    # The customer answers the reply from their mail program: it joins the case.
    answer = await deliver(
        mail(
            customer,
            subject=sent["Subject"],
            text=ANSWER,
            message_id=f"<thanks-{token}@example.org>",
            in_reply_to=sent["Message-ID"],
            references=f"{first_id} {sent['Message-ID']}",
        )
    )
    answered_id = answer.split()[-1]
    [joined] = await events.wait_for(ContactReceived, lambda e: e.contact_id == answered_id)
    assert (joined.case_id, joined.outcome.value) == (case_id, "joined")

    # A later reply comes back as a bounce through the same receiver: it fails, no case opens.
    second = await intake.reply_when_held(agent, case_id, {"text": SECOND_REPLY})
    await events.wait_for(ReplyDeliveryChanged, of_reply(second["reply_id"], "sent"))
    assert len(mail_relay.relay.taken) == 2
    bounced = await deliver(dsn(second["message_id"], customer), sender="")
    assert "ignored as" in bounced, bounced
    [failed] = await events.wait_for(ReplyDeliveryChanged, of_reply(second["reply_id"], "failed"))
    assert failed.reason == (
        f"returned by the mail system: {customer}: 5.2.2 552 5.2.2 mailbox full"
    )

    conversation = await http.get(
        f"{intake.base}/v1/cases/{case_id}/messages", headers=platform.auth(agent)
    )
    assert conversation.status_code == 200, conversation.text
    messages = conversation.json()["messages"]
    assert [(m["direction"], m["text"].strip()) for m in messages] == [
        ("inbound", QUESTION),
        ("outbound", REPLY),
        ("inbound", ANSWER),
        ("outbound", SECOND_REPLY),
    ]
    assert [m.get("delivery") for m in messages if m["direction"] == "outbound"] == [
        "sent",
        "failed",
    ]
    assert len(events.events(CaseOpened, lambda e: e.case_id == case_id)) == 1
    await routing.presence(agent, "offline")  # takes no later test's English contact
