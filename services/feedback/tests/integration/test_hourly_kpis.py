"""Hourly KPIs: an answer and SLA results land in their local hour, as JSON and CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from switchboard.contracts.events import SurveyAnswered, SurveyRequested
from switchboard.contracts.topics import SURVEYS
from switchboard.servicekit.testing.helpers import eventually

from ..builders import case_opened, case_resolved, instant, new_id, sla_outcome
from .conftest import FeedbackWorld

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]

COPENHAGEN = ZoneInfo("Europe/Copenhagen")  # the world's zone for "nordics"


async def answered_survey(world: FeedbackWorld) -> SurveyAnswered:
    """A resolved case whose survey the customer answers now (CSAT 5)."""
    case_id, customer_id, opened_at = new_id("case"), new_id("cust"), instant(600)
    await world.publish(
        case_opened(case_id=case_id, customer_id=customer_id, at=opened_at, language="da")
    )
    resolved = case_resolved(
        case_id=case_id, customer_id=customer_id, opened_at=opened_at, at=instant(0), language="da"
    )
    await world.publish(resolved)
    (request,) = [e.data for e in await world.events_for(SURVEYS.name, case_id=case_id, expect=1)]
    assert isinstance(request, SurveyRequested)
    answer = await world.client.post(urlsplit(request.link).path, json={"csat": 5})
    assert answer.status_code == 201, answer.text
    events = await world.events_for(SURVEYS.name, case_id=case_id, expect=2)
    (answered,) = [e.data for e in events if isinstance(e.data, SurveyAnswered)]
    return answered


def hours_in(day: date) -> int:
    """23, 24 or 25: the local day's length in hours."""
    start = datetime.combine(day, time(), tzinfo=COPENHAGEN)
    return int((start + timedelta(days=1) - start) / timedelta(hours=1))


def local_hour_start(at: datetime) -> str:
    return at.astimezone(COPENHAGEN).replace(minute=0, second=0, microsecond=0).isoformat()


async def test_an_answer_and_sla_results_land_in_their_local_hour(world):
    day = (instant(0).astimezone(COPENHAGEN) - timedelta(days=2)).date()
    achieved_at = datetime(day.year, day.month, day.day, 10, 15, tzinfo=COPENHAGEN)
    breached_at = achieved_at.replace(hour=13, minute=40)
    ten, one = (at.replace(minute=0).isoformat() for at in (achieved_at, breached_at))
    for at, achieved in ((achieved_at, True), (breached_at, False)):
        outcome = sla_outcome(case_id=new_id("case"), at=at, achieved=achieved)
        await world.publish(outcome)
    answered = await answered_survey(world)
    headers = world.bearer(role="coordinator", regions=["nordics"])

    async def hours(first, last=None, **params):
        query = {
            "region": "nordics",
            "period": "hour",
            "from": str(first),
            "to": str(last or first),
        }
        return await world.client.get("/kpis", params=query | params, headers=headers)

    async def sla_counted():
        response = await hours(day)
        total = response.json()["total"] if response.status_code == 200 else {}
        return total.get("sla_attainment_percent") == 50.0

    assert await eventually(sla_counted, timeout=20)
    report = (await hours(day)).json()
    assert report["period"] == "hour"
    assert len(report["series"]) == hours_in(day)
    assert report["series"][0]["bucket_start"] == local_hour_start(achieved_at.replace(hour=0))
    by_start = {entry["bucket_start"]: entry for entry in report["series"]}
    assert by_start[ten]["sla_attainment_percent"] == 100.0
    assert by_start[one]["sla_attainment_percent"] == 0.0
    measured = [
        e["bucket_start"] for e in report["series"] if e["sla_attainment_percent"] is not None
    ]
    assert measured == [ten, one]

    answered_day = answered.answered_at.astimezone(COPENHAGEN).date()
    today = (await hours(answered_day)).json()
    with_answers = [e["bucket_start"] for e in today["series"] if e["csat_percent"] is not None]
    assert with_answers == [local_hour_start(answered.answered_at)]
    assert today["total"]["csat_percent"] == 100.0

    everywhere = await world.client.get(
        "/kpis",
        params={"period": "hour", "from": str(day), "to": str(day)},
        headers=world.bearer(),
    )
    assert everywhere.json()["total"]["sla_attainment_percent"] == 50.0
    assert everywhere.json()["series"][0]["bucket_start"].endswith("+00:00")

    csv = await world.client.get(
        "/kpis.csv",
        params={"region": "nordics", "period": "hour", "from": str(day), "to": str(day)},
        headers=headers,
    )
    assert csv.status_code == 200, csv.text
    lines = csv.text.splitlines()
    assert len(lines) == 1 + hours_in(day)
    header = lines[0].split(",")
    (row,) = [line.split(",") for line in lines if line.startswith(f"hour,{ten},nordics,all,")]
    assert row[header.index("sla_attainment_percent")] == "100.00"


async def test_hour_ranges_are_limited(world):
    headers = world.bearer()

    async def status(**params):
        response = await world.client.get(
            "/kpis", params={"period": "hour", **params}, headers=headers
        )
        assert response.headers["content-type"].startswith("application/problem+json")
        return response.status_code, response.json()["detail"]

    eight_days = await status(region="nordics", **{"from": "2026-05-01", "to": "2026-05-08"})
    assert eight_days == (422, "hours cover at most 7 days (from..to) per request")
    by_agent = await status(region="nordics", agent="agent-1")
    assert by_agent[0] == 422
    assert "per region only" in by_agent[1]
    week = await world.client.get(
        "/kpis",
        params={"period": "hour", "region": "nordics", "from": "2026-05-01", "to": "2026-05-07"},
        headers=headers,
    )
    assert week.status_code == 200
    assert len(week.json()["series"]) == 7 * 24
