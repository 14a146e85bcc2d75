"""A signed e-mail, a chat message, a call and a social post, each in its own language,
reach intake and each becomes one case; the e-mail reply joins its thread."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from switchboard.contracts.events import CaseOpened, ContactReceived

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


def raw_email(*, message_id: str, in_reply_to: str | None = None, text: str) -> bytes:
    message = EmailMessage()
    message["From"] = "Bjørn Hansen <Bjorn.Hansen@Example.DK>"
    message["To"] = "support@acme.test"
    message["Subject"] = "Forkert faktura"
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    message.set_content(text)
    message.add_attachment(b"%PDF", maintype="application", subtype="pdf", filename="f.pdf")
    return message.as_bytes()


async def test_each_channel_opens_one_case_and_the_reply_joins_it(intake):
    mail = await intake.register("email", region="nordics")
    chat = await intake.register("chat", region="eu-west")
    phone = await intake.register("phone", region="nordics", default_country="FI")
    social = await intake.register("social", region="eu-central")
    token = uuid.uuid4().hex

    first_mail = await intake.post(
        mail,
        raw_email(
            message_id=f"first-{token}@example.dk",
            text="Hej, min faktura er forkert. Jeg er blevet opkrævet to gange for den samme "
            "ordre, og jeg vil gerne have pengene tilbage hurtigst muligt.",
        ),
        content_type="message/rfc822",
    )
    chat_message = await intake.post(
        chat,
        {
            "session_id": f"session-{token}",
            "message_id": "1",
            "visitor": {"id": f"visitor-{token}", "name": "Maïté"},
            "message": "Bonjour, ma commande n'est toujours pas arrivée et personne ne répond.",
        },
    )
    call = await intake.post(
        phone,
        {
            "event": "voicemail",
            "call_id": f"call-{token}",
            "caller_number": "040 123 4567",
            "ivr_selection": {"digits": "2", "department": "billing"},
            "transcript": "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä "
            "se on. Soittakaa minulle takaisin.",
        },
    )
    post = await intake.post(
        social,
        {
            "platform": "x",
            "handle": f"@Kasia_{token[:6]}",
            "visibility": "public",
            "kind": "post",
            "item_id": f"post-{token}",
            "text": "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na maile.",
        },
    )
    responses = [first_mail, chat_message, call, post]
    assert [r.status_code for r in responses] == [202] * 4, [r.text for r in responses]
    case_ids = [r.json()["case_id"] for r in responses]
    assert len(set(case_ids)) == 4
    assert {r.json()["outcome"] for r in responses} == {"opened"}

    reply = await intake.post(
        mail,
        raw_email(
            message_id=f"reply-{token}@example.dk",
            in_reply_to=f"first-{token}@example.dk",
            text="Jeg har stadig ikke hørt fra jer angående min faktura.",
        ),
        content_type="message/rfc822",
    )
    assert reply.status_code == 202, reply.text
    assert reply.json()["case_id"] == case_ids[0]
    assert reply.json()["outcome"] == "joined"

    mine = set(case_ids)
    events = await intake.case_events(
        lambda e: e.data.case_id in mine, until=lambda found: len(found) >= 9
    )
    opened = {
        e.data.case_id: await intake.unsealed(e.data)
        for e in events
        if isinstance(e.data, CaseOpened)
    }
    received = [
        await intake.unsealed(e.data) for e in events if isinstance(e.data, ContactReceived)
    ]
    assert all(e.data.sealed is not None for e in events), "personal fields go out sealed"
    assert len(events) == 9
    assert set(opened) == mine
    assert len(received) == 5

    by_case = dict(zip(["email", "chat", "phone", "social"], case_ids, strict=True))
    languages = {channel: opened[case_id].language for channel, case_id in by_case.items()}
    assert languages == {"email": "da", "chat": "fr", "phone": "fi", "social": "pl"}
    assert all(0.35 <= opened[c].language_confidence <= 1 for c in case_ids)
    assert opened[by_case["phone"]].department == "billing"
    assert opened[by_case["phone"]].region == "nordics"
    assert opened[by_case["chat"]].region == "eu-west"
    assert opened[by_case["email"]].subject == "Forkert faktura"
    assert opened[by_case["phone"]].priority == 2  # phone's channel default
    assert opened[by_case["email"]].priority == 3

    email_contacts = [r for r in received if r.case_id == by_case["email"]]
    assert [r.outcome.value for r in email_contacts] == ["opened", "joined"]
    assert email_contacts[1].provider_message_id == f"reply-{token}@example.dk"
    assert all(e.key == e.data.case_id for e in events)
    assert {e.source for e in events} == {"/switchboard/intake"}
