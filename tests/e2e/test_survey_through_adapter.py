"""The survey reaches the customer the way the agent's reply did, across the services: a
German chat is offered, accepted, answered through intake and resolved; feedback asks for a
survey and intake delivers the invitation to the chat adapter's outbound address, signed,
addressed to the chat session, in German with the survey's link; the customer's answer
through that link is recorded once."""

from __future__ import annotations

import uuid

import pytest

from switchboard.contracts.events import (
    CaseOpened,
    CaseResolved,
    ReplyPosted,
    SurveyAnswered,
    SurveyRequested,
)
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.testing.helpers import eventually
from switchboard.servicekit.testing.receiver import SignedReceiver, serving

from .platform import SURVEY_DELAY_SECONDS, taken_by

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

QUESTION = (
    "Guten Tag, ich habe gestern einen Wasserkocher bestellt, aber die Bestätigung nie "
    "bekommen. Können Sie bitte nachsehen, ob die Bestellung angekommen ist?"
)
REPLY = "Guten Tag! Ihre Bestellung ist da und wird morgen verschickt."
GERMAN_INVITATION = "Danke für Ihre Anfrage. Wie war unser Service? Zwei Minuten helfen uns: {link}"


async def test_the_survey_goes_out_through_the_chat_adapter_in_the_customer_s_language(
    platform, intake, routing, events, http
):
    token = uuid.uuid4().hex[:10]
    # No other e2e test hires German speakers in this region: the offer can only be ours.
    region = platform.regions.eu_central
    port = free_port()
    chat = await intake.register("chat", region, outbound_url=f"http://127.0.0.1:{port}/out")
    receiver = SignedReceiver(secret=chat.secret)
    agent = f"katrin-{token}"
    await routing.hire(agent, region=region, languages=["de"], skills={"support": 8})
    await routing.available(agent)
    session, visitor = f"s-{token}", f"v-{token}"

    async with serving(receiver.app(), port):
        case_id = await taken_by(
            agent,
            intake=intake,
            routing=routing,
            events=events,
            adapter=chat,
            contact={
                "session_id": session,
                "message_id": "1",
                "visitor": {"id": visitor, "name": "Jana Keller"},
                "message": QUESTION,
            },
        )
        reply = await intake.reply_when_held(agent, case_id, {"text": REPLY})
        await events.wait_for(ReplyPosted, lambda e: e.reply_id == reply["reply_id"])
        resolved = await routing.act(agent, case_id, "resolve", {"resolution_code": "answered"})
        assert resolved.status_code == 200, resolved.text
        [resolution] = await events.wait_for(CaseResolved, lambda e: e.case_id == case_id)
        assert resolution.language == "de"

        [survey] = await events.wait_for(
            SurveyRequested, lambda e: e.case_id == case_id, timeout=SURVEY_DELAY_SECONDS + 20
        )
        assert (survey.language, survey.channel.value) == ("de", "chat")
        [opened] = events.of(CaseOpened, lambda e: e.case_id == case_id)
        assert (survey.customer_id, survey.region) == (opened.data.customer_id, region)

        def delivered(message_id: str) -> list[tuple[str, dict, dict[str, str]]]:
            return [r for r in receiver.received if r[2]["webhook-id"] == message_id]

        async def survey_arrived() -> bool:
            return bool(delivered(survey.survey_id))

        assert await eventually(survey_arrived, timeout=20), "the adapter got no survey"

    assert receiver.forged == 0
    assert len(delivered(reply["reply_id"])) == 1
    [(recipient, payload, headers)] = delivered(survey.survey_id)
    assert recipient == "out"
    assert headers["webhook-signature"].startswith("v1,")
    sent = payload["data"]
    assert (sent["kind"], sent["survey_id"], sent["case_id"]) == (
        "survey",
        survey.survey_id,
        case_id,
    )
    assert (sent["channel"], sent["session_id"], sent["visitor_id"]) == ("chat", session, visitor)
    assert sent["language"] == "de"
    assert sent["link"] == str(survey.link)
    assert sent["text"] == GERMAN_INVITATION.format(link=survey.link)
    assert sent["questions"] == [question.value for question in survey.questions]

    # The customer follows the link: the survey in German, answered once.
    page = await http.get(sent["link"])
    assert page.status_code == 200, page.text
    assert page.json()["language"] == "de"
    answer = {"csat": 4, "nps": 9, "ces": 6, "comment": "Schnell und freundlich."}
    answered = await http.post(sent["link"], json=answer)
    assert answered.status_code == 201, answered.text
    again = await http.post(sent["link"], json=answer)
    assert again.status_code == 409, again.text
    [recorded] = await events.wait_for(SurveyAnswered, lambda e: e.survey_id == survey.survey_id)
    assert (recorded.case_id, recorded.agent_id, recorded.language) == (case_id, agent, "de")
    assert (recorded.csat, recorded.nps, recorded.ces) == (4, 9, 6)
