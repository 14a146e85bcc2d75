"""Cases at risk in the coordinator console, in a real browser on the whole platform: a
Finnish chat in a region where nobody speaks Finnish waits; a forecast that no offer is in
sight (the test speaks for routing's wait forecasts on switchboard.assignments, so that
other tests' traffic in the pool cannot make it late or early) makes escalation predict
its first-response breach, which the region's coordinator sees in the "At risk" panel; a
Finnish agent arrives, is offered the case, and it leaves the panel."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import expect

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import (
    CaseOpened,
    CaseQueued,
    CaseWaitEstimated,
    SlaBreachPredicted,
    SlaRiskCleared,
)

from .browser import LIVE_TIMEOUT_MS, open_console, screenshot_dir

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(180)]

FINNISH = (
    "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on. "
    "Voisitteko tarkistaa asian, kiitos."
)


async def speak_for_routing(bootstrap: str, event: CaseWaitEstimated) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        record = encode(Envelope(data=event, source="/switchboard/routing"))
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()


async def test_a_coordinator_sees_a_case_at_risk_until_it_is_offered(
    platform, intake, routing, events, http, browser
):
    region, token = platform.regions.eu_central, uuid.uuid4().hex[:10]
    base = platform.url("escalation")
    header = platform.auth("ella", "coordinator", (region,))
    bearer = header["Authorization"].removeprefix("Bearer ")
    chat = await intake.register("chat", region)

    posted = await intake.post(
        chat,
        {
            "session_id": f"session-{token}",
            "message_id": "1",
            "visitor": {"id": f"visitor-{token}"},
            "message": FINNISH,
        },
    )
    assert posted.status_code == 202, posted.text
    case_id = posted.json()["case_id"]
    [opened] = await events.wait_for(CaseOpened, lambda e: e.case_id == case_id)
    assert opened.language == "fi"
    [queued] = await events.wait_for(CaseQueued, lambda e: e.case_id == case_id)

    await speak_for_routing(
        platform.kafka_bootstrap,
        CaseWaitEstimated(
            case_id=case_id,
            region=region,
            channel=opened.channel,
            queue_id=queued.queue_id,
            position=0,
            served_per_minute=0.0,
            expected_offer_at=None,
            estimated_at=datetime.now(UTC),
        ),
    )
    [predicted] = await events.wait_for(
        SlaBreachPredicted, lambda e: e.case_id == case_id, timeout=30
    )
    assert (predicted.metric.value, predicted.region) == ("first_response", region)

    console = await open_console(browser, base, bearer, viewport={"width": 1360, "height": 1000})
    page = console.page
    row = page.locator("#at-risk tbody tr", has_text=case_id)
    await expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(row).to_contain_text("none in sight")
    await page.screenshot(path=screenshot_dir() / "console-at-risk.png", full_page=True)
    listed = await http.get(f"{base}/v1/at-risk", headers=header)
    assert case_id in [c["case_id"] for c in listed.json()]
    other = platform.auth("nils", "coordinator", (platform.regions.nordics,))
    assert case_id not in [
        c["case_id"] for c in (await http.get(f"{base}/v1/at-risk", headers=other)).json()
    ]

    # A Finnish agent arrives: the case is offered and leaves the panel.
    aino = f"aino-{platform.run_id}-{token[:4]}"
    await routing.hire(aino, region=region, languages=["fi"], skills={"support": 7})
    await routing.available(aino)
    [cleared] = await events.wait_for(SlaRiskCleared, lambda e: e.case_id == case_id, timeout=30)
    assert cleared.metric.value == "first_response"
    # Off again, so that later tests' offers in this region do not count her among theirs.
    await routing.presence(aino, "offline")
    await expect(row).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    assert not [e for e in console.errors if "401" not in e], console.errors
