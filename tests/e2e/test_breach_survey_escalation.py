"""A case nobody answers breaches its first-response SLA and reaches the coordinator of its
region (and no other); once resolved, the customer gets a survey in their language; a
detractor answer raises an alert and a follow-up escalation that the coordinator
acknowledges, a promoter answer does not; the region's KPIs count both answers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    CaseResolved,
    DetractorAlerted,
    EscalationAcknowledged,
    EscalationRaised,
    EscalationResolved,
    SlaBreached,
    SlaWarned,
    SurveyAnswered,
    SurveyRequested,
)
from switchboard.servicekit.testing.helpers import eventually

from .platform import FIRST_RESPONSE_TARGET_SECONDS, SURVEY_DELAY_SECONDS

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(150)]

GERMAN = (
    "Guten Tag, meine Bestellung ist immer noch nicht angekommen und ich habe seit einer "
    "Woche keine Nachricht von Ihnen erhalten. Können Sie mir bitte sagen, wo sie ist?"
)
GERMAN_TOO = (
    "Hallo, ich möchte gerne die Lieferadresse für meine nächste Bestellung ändern. "
    "Wie kann ich das am besten machen? Vielen Dank im Voraus."
)


def chat_body(token: str, text: str) -> dict[str, Any]:
    return {
        "session_id": f"session-{token}",
        "message_id": "1",
        "visitor": {"id": f"visitor-{token}"},
        "message": text,
    }


async def test_breach_escalates_to_the_regional_coordinator_and_surveys_close_the_loop(
    platform, intake, routing, events, http
):
    regions, token = platform.regions, uuid.uuid4().hex[:10]
    escalations = f"{platform.url('escalation')}/v1/escalations"
    greta = platform.auth("greta", "coordinator", (regions.dach,))
    camille = platform.auth("camille", "coordinator", (regions.eu_west,))
    chat = await intake.register("chat", regions.dach)

    # Nobody in the region: the first-response clock runs out.
    posted = await intake.post(chat, chat_body(f"late-{token}", GERMAN))
    assert posted.status_code == 202, posted.text
    case_id = posted.json()["case_id"]
    [opened] = await events.wait_for(CaseOpened, lambda e: e.case_id == case_id)
    assert (opened.language, opened.region) == ("de", regions.dach)

    timeout = FIRST_RESPONSE_TARGET_SECONDS + 15
    [warned] = await events.wait_for(SlaWarned, lambda e: e.case_id == case_id, timeout=timeout)
    [breached] = await events.wait_for(SlaBreached, lambda e: e.case_id == case_id, timeout=timeout)
    assert warned.metric.value == breached.metric.value == "first_response"
    assert warned.fraction == 0.5
    assert breached.target_seconds == FIRST_RESPONSE_TARGET_SECONDS
    assert breached.breached_at >= opened.opened_at
    [raised] = await events.wait_for(EscalationRaised, lambda e: e.case_id == case_id)
    assert raised.trigger.value == "sla_breach"
    assert raised.region == regions.dach
    assert [(t.kind.value, t.id) for t in raised.targets] == [("coordinator", "greta")]

    # The coordinator of the region sees it; a coordinator of another region does not.
    seen = await http.get(escalations, headers=greta)
    assert seen.status_code == 200, seen.text
    assert raised.escalation_id in [e["escalation_id"] for e in seen.json()]
    other = await http.get(escalations, headers=camille)
    assert other.status_code == 200, other.text
    assert raised.escalation_id not in [e["escalation_id"] for e in other.json()]
    hidden = await http.get(f"{escalations}/{raised.escalation_id}", headers=camille)
    assert hidden.status_code == 404, hidden.text

    # An agent of the region who speaks German arrives and handles the case.
    hans = f"hans-{platform.run_id}-{token[:4]}"
    await routing.hire(hans, region=regions.dach, languages=["de"], skills={"support": 7})
    await routing.available(hans)
    resolved = await handle(events, routing, hans, case_id, token)
    [closed] = await events.wait_for(
        EscalationResolved, lambda e: e.escalation_id == raised.escalation_id
    )
    assert closed.reason.value == "case_resolved"

    # A second customer is answered at once, so both a detractor and a promoter answer.
    second = await intake.post(chat, chat_body(f"quick-{token}", GERMAN_TOO))
    assert second.status_code == 202, second.text
    happy_case = second.json()["case_id"]
    await handle(events, routing, hans, happy_case, token)

    # Surveys, after the delay, in the customer's language, over the case's channel.
    surveys = {}
    for case in (case_id, happy_case):
        [survey] = await events.wait_for(
            SurveyRequested, lambda e, c=case: e.case_id == c, timeout=SURVEY_DELAY_SECONDS + 20
        )
        assert (survey.language, survey.channel.value, survey.region) == (
            "de",
            "chat",
            regions.dach,
        )
        surveys[case] = survey
    delay = (surveys[case_id].requested_at - resolved.resolved_at).total_seconds()
    assert delay >= SURVEY_DELAY_SECONDS - 0.2, delay

    page = await http.get(surveys[case_id].link)
    assert page.status_code == 200, page.text
    assert page.json()["language"] == "de"
    assert {q["id"] for q in page.json()["questions"]} == {
        q.value for q in surveys[case_id].questions
    }

    # A detractor: an alert, and escalation opens a follow-up for the region's coordinator.
    answer = {"csat": 1, "nps": 2, "ces": 2, "comment": "Viel zu langsam."}
    answered = await http.post(surveys[case_id].link, json=answer)
    assert answered.status_code == 201, answered.text
    again = await http.post(surveys[case_id].link, json=answer)
    assert again.status_code == 409, again.text
    [detractor] = await events.wait_for(SurveyAnswered, lambda e: e.case_id == case_id)
    assert (detractor.csat, detractor.nps, detractor.ces) == (1, 2, 2)
    assert detractor.agent_id == hans
    await events.wait_for(DetractorAlerted, lambda e: e.case_id == case_id)
    [alert] = events.of(DetractorAlerted, lambda e: e.case_id == case_id)  # with its event id
    assert alert.data.survey_id == surveys[case_id].survey_id
    [follow_up] = await events.wait_for(
        EscalationRaised, lambda e: e.case_id == case_id and e.trigger.value == "detractor"
    )
    assert follow_up.trigger_event_id == alert.id
    assert follow_up.escalation_id != raised.escalation_id
    assert [t.id for t in follow_up.targets] == ["greta"]
    listed = (await http.get(escalations, headers=greta, params={"status": "open"})).json()
    assert follow_up.escalation_id in [e["escalation_id"] for e in listed]

    # A promoter: answered, no alert.
    promoter = await http.post(surveys[happy_case].link, json={"csat": 5, "nps": 10, "ces": 7})
    assert promoter.status_code == 201, promoter.text
    [happy] = await events.wait_for(SurveyAnswered, lambda e: e.case_id == happy_case)
    assert (happy.csat, happy.nps, happy.ces) == (5, 10, 7)
    assert not events.events(DetractorAlerted, lambda e: e.case_id == happy_case)
    assert len(events.events(DetractorAlerted, lambda e: e.case_id == case_id)) == 1

    # The coordinator takes the follow-up; the other region's coordinator cannot.
    path = f"{escalations}/{follow_up.escalation_id}/acknowledge"
    refused = await http.post(path, json={"note": "Nicht meine Region"}, headers=camille)
    assert refused.status_code == 404, refused.text
    taken = await http.post(path, json={"note": "Ich rufe an."}, headers=greta)
    assert taken.status_code == 200, taken.text
    [acknowledged] = await events.wait_for(
        EscalationAcknowledged, lambda e: e.escalation_id == follow_up.escalation_id
    )
    assert (acknowledged.by.kind.value, acknowledged.by.id) == ("coordinator", "greta")

    # The region's KPIs count both answers: CSAT 1 and 5, NPS 2 and 10.
    kpi_reader = greta  # one token works in every service
    today = datetime.now(UTC).date()
    query = {
        "region": regions.dach,
        "period": "day",
        "from": (today - timedelta(days=1)).isoformat(),
        "to": today.isoformat(),
    }

    async def region_kpis() -> dict[str, Any] | None:
        response = await http.get(
            f"{platform.url('feedback')}/kpis", params=query, headers=kpi_reader
        )
        assert response.status_code == 200, response.text
        total = response.json()["total"]
        return total if total["surveys_answered"] >= 2 else None

    total = await eventually(region_kpis, timeout=10)
    assert total, "the two answers never reached the KPIs"
    assert (total["surveys_requested"], total["surveys_answered"]) == (2, 2)
    assert (total["csat_percent"], total["nps"], total["resolutions"]) == (50.0, 0.0, 2)
    assert total["response_rate_percent"] == 100.0


async def handle(events, routing, agent_id: str, case_id: str, token: str) -> CaseResolved:
    """The agent is offered the case, accepts, replies and resolves it."""
    [offer] = await events.wait_for(CaseOffered, lambda e: e.case_id == case_id, timeout=30)
    assert offer.agent_id == agent_id, offer
    for action, body in (
        ("accept", None),
        ("replies", {"message_id": f"reply-{token}-{case_id[:8]}"}),
        ("resolve", {"resolution_code": "delivered"}),
    ):
        response = await routing.act(agent_id, case_id, action, body)
        assert response.status_code == 200, (action, response.text)
    [resolved] = await events.wait_for(CaseResolved, lambda e: e.case_id == case_id)
    return resolved
