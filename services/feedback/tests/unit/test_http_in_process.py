"""Feedback's app around the in-process service: the survey link answered once (committed
before the 201, rolled back on a refusal) and KPIs read on an autocommit connection."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from switchboard.contracts.events import SurveyAnswered, SurveyRequested
from switchboard.feedback.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app

from .conftest import SURVEY_DELAY, Feedback, resolve


@pytest.fixture
async def client(feedback: Feedback) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=service_app(feedback.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://feedback") as client:
        yield client


def bearer(feedback: Feedback, **claims) -> dict[str, str]:
    claims = {"subject": "u1", "role": "admin"} | claims
    token = feedback.service.tokens.issue(**claims, ttl=timedelta(minutes=5))
    return {"Authorization": f"Bearer {token}"}


async def survey_path(feedback: Feedback, clock, *, language: str) -> str:
    await resolve(feedback, clock, language=language)
    await feedback.fire_timers(now=clock.turn(SURVEY_DELAY))
    (request,) = await feedback.published(SurveyRequested)
    return urlsplit(request.link).path


async def test_the_link_shows_the_survey_and_takes_one_answer(feedback, clock, client):
    path = await survey_path(feedback, clock, language="da")

    page = await client.get(path)
    assert page.status_code == 200, page.text
    assert page.json()["language"] == "da"
    assert [q["id"] for q in page.json()["questions"]] == ["csat", "nps", "ces"]
    form = await client.get(path, headers={"Accept": "text/html"})
    assert '<html lang="da">' in form.text

    invalid = await client.post(path, json={"csat": 9})
    assert invalid.status_code == 422
    posted = await client.post(
        path,
        content="csat=4&nps=8&ces=&reasons=unclear_answer&comment=Tak",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"},
    )
    again = await client.post(path, json={"csat": 1})

    assert posted.status_code == 201, posted.text
    assert "Tak for din feedback" in posted.text
    assert again.status_code == 409
    assert again.headers["content-type"] == "application/problem+json"
    (answered,) = await feedback.published(SurveyAnswered)
    assert (answered.csat, answered.nps, answered.ces, answered.comment) == (4, 8, None, "Tak")
    assert (await client.get(path)).status_code == 409


async def test_links_that_do_not_verify_or_ran_out_are_refused(feedback, clock, client):
    path = await survey_path(feedback, clock, language="en")

    assert (await client.get("/surveys/garbage")).status_code == 404
    assert (await client.post(f"{path}x", json={"csat": 5})).status_code == 404
    clock.turn(timedelta(days=15))
    assert (await client.get(path)).status_code == 410
    assert (await client.post(path, json={"csat": 5})).status_code == 410
    assert await feedback.published(SurveyAnswered) == []


async def test_kpis_need_a_token_that_covers_the_region(feedback, clock, client):
    path = await survey_path(feedback, clock, language="en")
    assert (await client.post(path, json={"csat": 5, "nps": 10})).status_code == 201
    query = {"region": "nordics", "period": "day", "from": str(clock.now.date())}

    assert (await client.get("/kpis", params=query)).status_code == 401
    other = bearer(feedback, role="coordinator", regions=["dach"])
    assert (await client.get("/kpis", params=query, headers=other)).status_code == 403
    report = await client.get("/kpis", params=query, headers=bearer(feedback))
    csv = await client.get("/kpis.csv", params=query, headers=bearer(feedback))

    assert report.status_code == 200, report.text
    total = report.json()["total"]
    assert (total["surveys_requested"], total["surveys_answered"]) == (1, 1)
    assert (total["csat_percent"], total["nps"], total["response_rate_percent"]) == (
        100.0,
        100.0,
        100.0,
    )
    assert report.json()["series"][0]["bucket_start"] == str(clock.now.date())
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[1].startswith(f"day,{clock.now.date()},nordics,all,,100.00")


async def test_kpis_default_to_today_on_the_region_s_calendar(feedback, clock, client):
    # 22:30 UTC is 00:30 the next day in Copenhagen: "today" for nordics is already May 5.
    clock.now = clock.now.replace(hour=22, minute=30)
    await resolve(feedback, clock)
    report = await client.get(
        "/kpis", params={"region": "nordics", "period": "day"}, headers=bearer(feedback)
    )
    assert report.status_code == 200, report.text
    assert (report.json()["from"], report.json()["to"]) == ("2026-05-05", "2026-05-05")
    assert report.json()["total"]["resolutions"] == 1
