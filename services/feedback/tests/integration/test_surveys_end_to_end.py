"""A resolved case gets its survey after the delay, in its language; answers move KPIs."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from switchboard.contracts.events import DetractorAlerted, SurveyAnswered, SurveyRequested
from switchboard.contracts.topics import FEEDBACK_ALERTS, SURVEYS

from ..builders import (
    agent_replied,
    case_opened,
    case_reopened,
    case_resolved,
    instant,
    new_id,
    sla_outcome,
)
from .conftest import SURVEY_DELAY_SECONDS, FeedbackWorld

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def resolve_case(world: FeedbackWorld, *, language: str, customer_id: str | None = None):
    case_id, customer_id = new_id("case"), customer_id or new_id("cust")
    opened_at = instant(600)
    await world.publish(
        case_opened(case_id=case_id, customer_id=customer_id, at=opened_at, language=language)
    )
    await world.publish(agent_replied(case_id=case_id, at=instant(540)))
    resolved = case_resolved(
        case_id=case_id,
        customer_id=customer_id,
        opened_at=opened_at,
        at=instant(0),
        language=language,
    )
    await world.publish(resolved)
    return case_id, customer_id, resolved


async def survey_requested(world: FeedbackWorld, case_id: str) -> SurveyRequested:
    events = await world.events_for(SURVEYS.name, case_id=case_id, expect=1)
    assert [type(e.data) for e in events] == [SurveyRequested]
    return events[0].data


def path_of(link: str) -> str:
    return urlsplit(link).path


async def test_resolved_case_gets_one_survey_after_the_delay_in_its_language(world):
    case_id, customer_id, resolved = await resolve_case(world, language="da")

    request = await survey_requested(world, case_id)

    assert request.customer_id == customer_id
    assert request.language == "da"
    assert request.channel == "email"
    assert request.thread_ref == f"<{case_id}@mail.example>"
    assert (request.requested_at - resolved.resolved_at).total_seconds() >= SURVEY_DELAY_SECONDS
    assert request.expires_at > request.requested_at
    page = await world.client.get(path_of(request.link))
    assert page.status_code == 200
    body = page.json()
    assert body["language"] == "da"
    assert body["questions"][0]["text"] == "Hvor tilfreds er du med den hjælp, du fik?"
    assert [q["id"] for q in body["questions"]] == ["csat", "nps", "ces"]
    html = await world.client.get(path_of(request.link), headers={"Accept": "text/html"})
    assert '<html lang="da">' in html.text


async def test_answers_update_csat_and_nps_and_a_detractor_raises_an_alert(world):
    promoter_case, _, _ = await resolve_case(world, language="fr")
    detractor_case, detractor_customer, _ = await resolve_case(world, language="pl")
    promoter = await survey_requested(world, promoter_case)
    detractor = await survey_requested(world, detractor_case)

    happy = await world.client.post(path_of(promoter.link), json={"csat": 5, "nps": 10, "ces": 7})
    unhappy = await world.client.post(
        path_of(detractor.link),
        json={"csat": 2, "nps": 3, "ces": 2, "comment": "Za długo", "reasons": ["slow_response"]},
    )
    again = await world.client.post(path_of(promoter.link), json={"csat": 1})

    assert happy.status_code == 201, happy.text
    assert happy.json()["message"] == "Merci pour votre avis !"
    assert unhappy.status_code == 201, unhappy.text
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"

    alerts = await world.events_for(FEEDBACK_ALERTS.name, case_id=detractor_case, expect=1)
    assert [type(a.data) for a in alerts] == [DetractorAlerted]
    alert = alerts[0].data
    assert alert.customer_id == detractor_customer
    assert (alert.threshold.question, alert.threshold.at_most) == ("nps", 6)
    assert alert.scores.nps == 3
    assert alert.reasons == ("slow_response",)
    assert alert.agent_id == "agent-1"
    none_for_promoter = await world.events_for(
        FEEDBACK_ALERTS.name, case_id=promoter_case, expect=1, timeout=2
    )
    assert none_for_promoter == []
    answered = await world.events_for(SURVEYS.name, case_id=detractor_case, expect=2)
    assert [type(e.data) for e in answered] == [SurveyRequested, SurveyAnswered]

    kpis = await world.client.get(
        "/kpis", params={"region": "nordics", "period": "day"}, headers=world.bearer()
    )
    assert kpis.status_code == 200, kpis.text
    total = kpis.json()["total"]
    assert total["surveys_requested"] == 2
    assert total["surveys_answered"] == 2
    assert total["csat_percent"] == 50.0
    assert total["nps"] == 0.0  # one promoter (10), one detractor (3)
    assert total["ces"] == 4.5
    assert total["response_rate_percent"] == 100.0
    assert total["resolutions"] == 2
    assert total["first_response_seconds"] == pytest.approx(60.0, abs=1.0)
    assert total["first_contact_resolution_percent"] == 100.0
    assert total["backlog"] == 0

    by_agent = await world.client.get(
        "/kpis", params={"region": "nordics", "agent": "agent-1"}, headers=world.bearer()
    )
    assert by_agent.json()["total"]["csat_percent"] == 50.0
    assert by_agent.json()["total"]["backlog"] is None
    csv = await world.client.get("/kpis.csv", params={"region": "nordics"}, headers=world.bearer())
    assert csv.status_code == 200
    assert csv.headers["content-type"].startswith("text/csv")
    header, row = csv.text.splitlines()[:2]
    assert header.startswith("period,bucket_start,region,facet,facet_value,csat_percent,nps")
    assert ",50.00,0.00," in row


async def test_a_case_reopened_before_the_delay_gets_no_survey(world):
    case_id, customer_id, resolved = await resolve_case(world, language="en")
    await world.publish(
        case_reopened(
            case_id=case_id,
            customer_id=customer_id,
            resolved_at=resolved.resolved_at,
            at=instant(0),
        )
    )
    control_case, _, _ = await resolve_case(world, language="en")
    await survey_requested(world, control_case)  # the delay has run out for both cases by now
    await asyncio.sleep(SURVEY_DELAY_SECONDS)

    assert await world.events_for(SURVEYS.name, case_id=case_id, expect=1, timeout=2) == []
    kpis = await world.client.get("/kpis", params={"region": "nordics"}, headers=world.bearer())
    assert kpis.json()["total"]["backlog"] == 1  # two opened, one reopened, two resolved


async def test_a_customer_is_not_surveyed_twice_within_the_suppression_window(world):
    first_case, customer_id, _ = await resolve_case(world, language="sv")
    await survey_requested(world, first_case)
    second_case, _, _ = await resolve_case(world, language="sv", customer_id=customer_id)
    await asyncio.sleep(SURVEY_DELAY_SECONDS * 2)

    assert await world.events_for(SURVEYS.name, case_id=second_case, expect=1, timeout=2) == []


async def test_sla_attainment_is_counted_from_sla_events(world):
    for achieved in (True, True, True, False):
        await world.publish(sla_outcome(case_id=new_id("case"), at=instant(0), achieved=achieved))

    async def attainment():
        response = await world.client.get(
            "/kpis", params={"region": "nordics", "team": "billing"}, headers=world.bearer()
        )
        return response.json()["total"]["sla_attainment_percent"]

    for _ in range(100):
        if await attainment() == 75.0:
            break
        await asyncio.sleep(0.2)
    assert await attainment() == 75.0


async def test_the_html_form_answers_the_survey(world):
    case_id, _, _ = await resolve_case(world, language="nb")
    request = await survey_requested(world, case_id)
    form = await world.client.get(path_of(request.link), headers={"Accept": "text/html"})
    assert "Hvor fornøyd er du med hjelpen du fikk?" in form.text

    posted = await world.client.post(
        path_of(request.link),
        content="csat=4&nps=8&ces=&reasons=unclear_answer&comment=Takk",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )

    assert posted.status_code == 201, posted.text
    assert "Takk for tilbakemeldingen!" in posted.text
    (answered,) = [
        e.data
        for e in await world.events_for(SURVEYS.name, case_id=case_id, expect=2)
        if e.data.event_type == "switchboard.survey.answered"
    ]
    assert (answered.csat, answered.nps, answered.ces) == (4, 8, None)
    assert answered.reasons == ("unclear_answer",)
    assert answered.comment == "Takk"
