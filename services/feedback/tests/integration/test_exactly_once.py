"""Redeliveries change nothing; concurrent answers to one survey: exactly one wins."""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import pytest

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import SurveyRequested
from switchboard.contracts.topics import SURVEYS

from ..builders import case_opened, case_resolved, instant, new_id
from .conftest import SURVEY_DELAY_SECONDS

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]


async def test_a_redelivered_resolution_is_counted_once_and_surveyed_once(world):
    case_id, customer_id, opened_at = new_id("case"), new_id("cust"), instant(300)
    await world.publish(case_opened(case_id=case_id, customer_id=customer_id, at=opened_at))
    resolved = Envelope(
        case_resolved(case_id=case_id, customer_id=customer_id, opened_at=opened_at, at=instant()),
        "/tests/upstream",
    )
    for _ in range(3):
        await world.publish(resolved)

    requests = await world.events_for(SURVEYS.name, case_id=case_id, expect=1)
    await asyncio.sleep(SURVEY_DELAY_SECONDS)
    requests = await world.events_for(SURVEYS.name, case_id=case_id, expect=2, timeout=3)
    assert [type(e.data) for e in requests] == [SurveyRequested]
    kpis = await world.client.get("/kpis", params={"region": "nordics"}, headers=world.bearer())
    assert kpis.json()["total"]["resolutions"] == 1
    assert kpis.json()["total"]["surveys_requested"] == 1


async def test_concurrent_answers_to_one_survey_accept_exactly_one(world):
    case_id, customer_id, opened_at = new_id("case"), new_id("cust"), instant(300)
    await world.publish(
        case_resolved(case_id=case_id, customer_id=customer_id, opened_at=opened_at, at=instant())
    )
    (request,) = await world.events_for(SURVEYS.name, case_id=case_id, expect=1)
    path = urlsplit(request.data.link).path

    responses = await asyncio.gather(
        *(world.client.post(path, json={"csat": 1 + i % 5}) for i in range(10))
    )

    assert sorted(r.status_code for r in responses) == [201] + [409] * 9
    kpis = await world.client.get("/kpis", params={"region": "nordics"}, headers=world.bearer())
    assert kpis.json()["total"]["surveys_answered"] == 1
