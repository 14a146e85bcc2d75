"""From a channel adapter's signed request to a resolved case, across all services.

Four contacts in four languages on four channels become four cases; an e-mail reply joins
the first thread; each case reaches a qualified agent of its region who speaks its language,
who accepts, replies and resolves. Everything is asserted from the events on Kafka. Bad
signatures, stale timestamps, duplicates and malformed bodies create nothing.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from switchboard.contracts.events import (
    AgentReplied,
    CaseAssigned,
    CaseOffered,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    ContactReceived,
)
from switchboard.contracts.events.assignments import AssignmentEvent

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

PROBLEM_JSON = "application/problem+json"


def raw_email(*, message_id: str, text: str, in_reply_to: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = "Bjørn Hansen <bjorn.hansen@example.dk>"
    message["To"] = "support@acme.test"
    message["Subject"] = "Forkert faktura" if in_reply_to is None else "Re: Forkert faktura"
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
        message["References"] = f"<{in_reply_to}>"
    message.set_content(text)
    return message.as_bytes()


def chat_body(token: str, text: str, **visitor: Any) -> dict[str, Any]:
    return {
        "session_id": f"session-{token}",
        "message_id": "1",
        "visitor": {"id": f"visitor-{token}", **visitor},
        "message": text,
    }


async def test_contacts_in_four_languages_are_routed_handled_and_resolved(
    platform, intake, routing, events
):
    regions, token = platform.regions, uuid.uuid4().hex[:10]
    ours = {regions.nordics, regions.eu_west, regions.eu_central}

    # Agents: one qualified per case, plus decoys that must never be offered anything.
    agents = {
        "ditte": {"region": regions.nordics, "languages": ["da", "en"], "skills": {"support": 8}},
        "aino": {"region": regions.nordics, "languages": ["fi", "sv"], "skills": {"support": 9}},
        "fabrice": {"region": regions.eu_west, "languages": ["fr"], "skills": {"support": 7}},
        "piotr": {"region": regions.eu_central, "languages": ["pl"], "skills": {"support": 6}},
        "novice": {"region": regions.nordics, "languages": ["da", "fi"], "skills": {"support": 2}},
        "florent": {"region": regions.eu_central, "languages": ["fr"], "skills": {"support": 9}},
        "danish-west": {"region": regions.eu_west, "languages": ["da"], "skills": {"support": 9}},
    }
    ids = {name: f"{name}-{platform.run_id}" for name in agents}
    for name, profile in agents.items():
        await routing.hire(ids[name], **profile)
        await routing.available(ids[name])

    mail = await intake.register("email", regions.nordics)
    chat = await intake.register("chat", regions.eu_west)
    phone = await intake.register("phone", regions.nordics, default_country="FI")
    social = await intake.register("social", regions.eu_central)

    # Refusals first: none of them may create a customer, case or event.
    refused_chat = chat_body(f"refused-{token}", "Bonjour, je voudrais changer mon adresse.")
    wrong_secret = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWY="
    bad_signature = await intake.post(chat, refused_chat, secret=wrong_secret)
    stale = await intake.post(chat, refused_chat, at=datetime.now(UTC) - timedelta(minutes=6))
    malformed = await intake.post(chat, {**refused_chat, "visitor": {"id": ""}})
    for response, status in ((bad_signature, 401), (stale, 401), (malformed, 422)):
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith(PROBLEM_JSON)
    assert "timestamp" in stale.json()["detail"]  # the refusal says why
    assert malformed.json()["errors"], malformed.json()

    # Four contacts, four languages, four channels.
    first_message_id = f"first-{token}@example.dk"
    accepted = {
        "da": await intake.post(
            mail,
            raw_email(
                message_id=first_message_id,
                text="Hej, min faktura er forkert. Jeg er blevet opkrævet to gange for den "
                "samme ordre, og jeg vil gerne have pengene tilbage hurtigst muligt.",
            ),
            content_type="message/rfc822",
        ),
        "fr": await intake.post(
            chat,
            chat_body(
                token,
                "Bonjour, ma commande n'est toujours pas arrivée et personne ne répond à mes "
                "messages. Pouvez-vous m'aider, s'il vous plaît ?",
                name="Maïté",
            ),
        ),
        "fi": await intake.post(
            phone,
            {
                "event": "voicemail",
                "call_id": f"call-{token}",
                "caller_number": "040 123 4567",
                "transcript": "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää "
                "missä se on. Soittakaa minulle takaisin, kiitos.",
            },
        ),
        "pl": await intake.post(
            social,
            {
                "platform": "x",
                "handle": f"@kasia_{token[:6]}",
                "visibility": "public",
                "kind": "post",
                "item_id": f"post-{token}",
                "text": "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na "
                "moje wiadomości. Proszę o pomoc.",
            },
        ),
    }
    for language, response in accepted.items():
        assert response.status_code == 202, (language, response.text)
        assert response.json()["outcome"] == "opened", (language, response.json())
    case_of = {language: response.json()["case_id"] for language, response in accepted.items()}
    assert len(set(case_of.values())) == 4

    reply = await intake.post(
        mail,
        raw_email(
            message_id=f"reply-{token}@example.dk",
            in_reply_to=first_message_id,
            text="Hej igen, jeg har vedhæftet kvitteringen for betalingen. Jeg håber, at I kan "
            "finde ud af det hurtigt.",
        ),
        content_type="message/rfc822",
    )
    assert reply.status_code == 202, reply.text
    assert reply.json()["case_id"] == case_of["da"]
    assert reply.json()["outcome"] == "joined"

    # The adapter retries the chat message: new webhook id, same provider message id.
    retry = await intake.post(
        chat,
        chat_body(
            token,
            "Bonjour, ma commande n'est toujours pas arrivée et personne ne répond à mes "
            "messages. Pouvez-vous m'aider, s'il vous plaît ?",
            name="Maïté",
        ),
    )
    assert retry.status_code == 202, retry.text
    assert retry.json()["case_id"] == case_of["fr"]
    assert retry.json()["duplicate"] is True
    assert retry.headers.get("idempotent-replayed") == "true"

    # On the cases topic: four cases in their languages, regions and channels.
    opened = await events.wait_for(CaseOpened, lambda e: e.region in ours, count=4)
    by_case = {event.case_id: event for event in opened}
    expected = {
        "da": (regions.nordics, "email"),
        "fr": (regions.eu_west, "chat"),
        "fi": (regions.nordics, "phone"),
        "pl": (regions.eu_central, "social"),
    }
    for language, (region, channel) in expected.items():
        event = by_case[case_of[language]]
        assert (event.language, event.region, event.channel.value) == (language, region, channel)

    # Each case: offered to its qualified agent, accepted, replied to, resolved.
    handler = {"da": "ditte", "fr": "fabrice", "fi": "aino", "pl": "piotr"}

    async def handle(language: str) -> None:
        case_id, agent_id = case_of[language], ids[handler[language]]
        [offer] = await events.wait_for(CaseOffered, lambda e: e.case_id == case_id, timeout=30)
        assert offer.agent_id == agent_id, (language, offer)
        assert offer.region == expected[language][0]
        accepted = await routing.act(agent_id, case_id, "accept")
        assert accepted.status_code == 200, accepted.text
        answered = await routing.act(agent_id, case_id, "replies", {"message_id": f"r-{token}"})
        assert answered.status_code == 200, answered.text
        resolved = await routing.act(agent_id, case_id, "resolve", {"resolution_code": "solved"})
        assert resolved.status_code == 200, resolved.text
        wrapped_up = await routing.act(agent_id, case_id, "wrap-up/finish")
        assert wrapped_up.status_code == 200, wrapped_up.text
        await events.wait_for(CaseResolved, lambda e: e.case_id == case_id, timeout=20)

    await asyncio.wait_for(asyncio.gather(*(handle(lang) for lang in handler)), timeout=60)

    for language, name in handler.items():
        case_id = case_of[language]
        flow = events.events(AssignmentEvent, lambda e, c=case_id: e.case_id == c)
        assert [type(e) for e in flow] == [
            CaseQueued,
            CaseOffered,
            CaseAssigned,
            AgentReplied,
            CaseResolved,
        ], (language, [type(e).__name__ for e in flow])
        assert {e.agent_id for e in flow[1:]} == {ids[name]}
        assert flow[3].is_first_response is True
        assert flow[4].language == language
        assert flow[4].resolution_code == "solved"
        assert flow[4].customer_id == by_case[case_id].customer_id

    decoys = {ids["novice"], ids["florent"], ids["danish-west"]}
    assert not events.events(CaseOffered, lambda e: e.agent_id in decoys)

    # Nothing more on the cases topic: 4 openings, 5 contacts (the reply joined), nothing
    # from the refused requests nor from the retried chat message.
    # Other tests on this platform open cases in the same regions: ours carry the token.
    await asyncio.sleep(1.0)

    def mine(event: Any) -> bool:
        return token in (event.thread_ref or "")

    async def ours_opened(kind: type) -> list[Any]:
        """Our regions' events of ``kind``, their sealed thread references opened."""
        found = events.events(kind, lambda e: e.region in ours)
        return [event for event in [await intake.unsealed(e) for e in found] if mine(event)]

    assert len(await ours_opened(CaseOpened)) == 4
    contacts = await ours_opened(ContactReceived)
    assert sorted(c.outcome.value for c in contacts) == ["joined"] + ["opened"] * 4
    assert [c.case_id for c in contacts if c.outcome.value == "joined"] == [case_of["da"]]
    assert sum(1 for c in contacts if c.case_id == case_of["fr"]) == 1
    assert not [c for c in contacts if "refused" in (c.thread_ref or "")]

    # Intake learnt of the resolution from routing: the customer's next e-mail in the thread
    # reopens the case, and routing offers it again to the agent who handled it.
    await asyncio.sleep(2.0)  # intake consumes the resolution asynchronously
    again = await intake.post(
        mail,
        raw_email(
            message_id=f"again-{token}@example.dk",
            in_reply_to=f"reply-{token}@example.dk",
            text="Hej, jeg har desværre stadig ikke modtaget pengene tilbage på min konto. "
            "Kan I venligst undersøge det igen?",
        ),
        content_type="message/rfc822",
    )
    assert again.status_code == 202, again.text
    assert (again.json()["case_id"], again.json()["outcome"]) == (case_of["da"], "reopened")
    [reopened] = await events.wait_for(CaseReopened, lambda e: e.case_id == case_of["da"])
    assert reopened.reason.value == "customer_reply"
    await events.wait_for(
        CaseQueued, lambda e: e.case_id == case_of["da"] and e.reason.value == "reopened"
    )
    offers = await events.wait_for(CaseOffered, lambda e: e.case_id == case_of["da"], count=2)
    assert offers[1].agent_id == ids["ditte"]
