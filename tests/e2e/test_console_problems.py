"""Problems across regions on the whole platform, checked in a real browser: contacts of two
regions (the test speaks for intake on switchboard.cases: two hours of ordinary messages,
then the same failure in both regions, timed as they would have arrived) make escalation
detect one problem; the coordinator of one region sees it in the console with its counts
and examples, acknowledges it for her region and adds a note, which the other region's
coordinator reads through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import expect

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import ContactReceived

from .browser import LIVE_TIMEOUT_MS, Watched, screenshot_dir

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(300)]
ORDINARY = (
    "Hello, the amount on my invoice is higher than usual, could you explain it?",
    "Hi, my parcel has not arrived yet, where is it now?",
    "Good morning, I would like to change the address on my account.",
)


def contact(region: str, text: str, at: datetime) -> ContactReceived:
    number = uuid.uuid4().hex[:12]
    return ContactReceived(
        case_id=f"case-{number}",
        customer_id=f"cust-{number}",
        region=region,
        channel="email",
        contact_id=f"contact-{number}",
        received_at=at,
        outcome="opened",
        language="en",
        language_confidence=0.95,
        text=text,
    )


async def test_a_problem_in_two_regions_reaches_the_console_with_notes(platform, http, browser):
    west, nordics = platform.regions.eu_west, platform.regions.nordics
    code = f"zq{uuid.uuid4().hex[:6]}"  # a made-up error code only this run's failure has
    now = datetime.now(UTC)
    events = []
    for minute in range(0, 120, 2):
        at = now - timedelta(minutes=130 - minute)
        for number, region in enumerate((west, nordics)):
            events.append(contact(region, ORDINARY[(minute + number) % 3], at))
    for number in range(8):
        at = now - timedelta(minutes=8 - number)
        events.append(contact(west, f"Checkout fails with error {code}, payment impossible.", at))
        events.append(contact(nordics, f"I get error {code} when I pay, the payment fails.", at))
    producer = AIOKafkaProducer(bootstrap_servers=platform.kafka_bootstrap)
    await producer.start()
    try:
        for event in events:
            record = encode(Envelope(data=event, source="/switchboard/intake"))
            await producer.send(record.topic, record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()

    base = platform.url("escalation")
    camille = platform.auth("camille", "coordinator", (west,))
    nils = platform.auth("nils", "coordinator", (nordics,))
    bearer = camille["Authorization"].removeprefix("Bearer ")
    context = await browser.new_context(viewport={"width": 1360, "height": 1400})
    page = await context.new_page()
    console = Watched(page)
    await page.goto(f"{base}/console#token={bearer}")
    problem = page.locator("#problems li.problem", has_text=code)
    await expect(problem).to_be_visible(timeout=120_000)
    await expect(problem.locator(".problem-facts")).to_contain_text(f"{west} ")
    await expect(problem.locator(".problem-facts")).to_contain_text(f"{nordics} ")
    await expect(problem.locator(".examples li")).to_have_count(2)
    await problem.get_by_role("button", name=f"Acknowledge for {west}").click()
    await expect(problem.locator(f'[data-region="{west}"] .by')).to_have_text(
        " acknowledged by camille", timeout=LIVE_TIMEOUT_MS
    )
    advice = f"Error {code}: card payments fail at the provider; offer an invoice instead."
    await problem.locator(".note-input").fill(advice)
    await problem.get_by_role("button", name="Add note").click()
    await expect(problem.locator(".notes li")).to_have_text(f"camille ({west}): {advice}")
    await page.screenshot(path=screenshot_dir() / "console-problems.png", full_page=True)

    listed = await http.get(f"{base}/v1/problems", headers=nils)
    (seen,) = [p for p in listed.json() if code in " ".join(e["text"] for e in p["examples"])]
    assert sorted(seen["regions"]) == sorted((west, nordics))
    assert seen["acknowledgements"][west]["by"] == "camille"
    assert [n["note"] for n in seen["notes"]] == [advice]
    assert not [e for e in console.errors if "401" not in e], console.errors
