"""Staffing in the coordinator console, in a real browser on the whole platform: a pool of
the coordinator's region announced short on switchboard.staffing (the test speaks for
routing's advisor there) shows as a staffing alert live, is acknowledged from the page and
leaves when the pool recovers; the per-pool staffing table marks the short pools and the
short intervals of their forecast (routing's GET /v1/staffing answer, its figures replaced
in the browser by ones with a short pool)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from playwright.async_api import Route, expect

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import StaffingRecovered, StaffingShortfall

from .browser import LIVE_TIMEOUT_MS, Watched, screenshot_dir

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(180)]


def staffing(kind: type, pool: str, *, available: int) -> Any:
    at = datetime.now(UTC)
    return kind(
        pool=pool,
        region=pool.partition("/")[0],
        department=pool.partition("/")[2],
        interval_start=at - timedelta(minutes=15),
        interval_seconds=900,
        arrivals=50,
        average_handle_seconds=180,
        load_erlangs=10,
        target_share=0.8,
        target_answer_seconds=20,
        agents_required=14,
        agents_available=available,
        expected_service_level=0.0 if available < 14 else 0.89,
        assessed_at=at,
    )


async def announce(bootstrap: str, event: Any) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap)
    await producer.start()
    try:
        record = encode(Envelope(data=event, source="/switchboard/routing"))
        await producer.send_and_wait(
            record.topic, record.value, key=record.key, headers=record.headers
        )
    finally:
        await producer.stop()


def staffing_view(
    pool: str, *, required: int, available: int, next_required: tuple[int, ...] = ()
) -> dict[str, Any]:
    soon = datetime(2026, 3, 9, 14, 0, tzinfo=UTC)
    forecast = [
        {
            "interval_start": (soon + timedelta(minutes=15 * n)).isoformat(),
            "expected_arrivals": 10.0 * need,
            "days_averaged": 7,
            "load_erlangs": 2.0 * need,
            "agents_required": need,
            "agents_available": available,
            "expected_service_level": 0.0 if available < need else 0.9,
            "short": available < need,
        }
        for n, need in enumerate(next_required)
    ]
    return {
        "pool": pool,
        "region": pool.partition("/")[0],
        "arrivals": 40,
        "interval_seconds": 900,
        "average_handle_seconds": 200,
        "load_erlangs": 8.9,
        "target_share": 0.8,
        "target_answer_seconds": 20,
        "agents_required": required,
        "agents_available": available,
        "expected_service_level": 0.0 if available < required else 0.85,
        "short": available < required,
        "next": forecast,
    }


async def test_a_coordinator_sees_staffing_and_acknowledges_a_staffing_alert(
    platform, http, browser
):
    region, run = platform.regions.eu_west, uuid.uuid4().hex[:8]
    base, routing_url = platform.url("escalation"), platform.url("routing")
    header = platform.auth("camille", "coordinator", (region,))
    bearer = header["Authorization"].removeprefix("Bearer ")
    short_pool, staffed_pool = f"{region}/billing", f"{region}/sales"

    async def with_a_short_pool(route: Route) -> None:
        answer = await route.fetch()  # routing's own answer and CORS headers, other figures
        assert answer.status == 200
        figures = [
            staffing_view(staffed_pool, required=3, available=4),
            staffing_view(short_pool, required=7, available=2, next_required=(1, 5)),
        ]
        await route.fulfill(response=answer, json=figures)

    context = await browser.new_context(viewport={"width": 1360, "height": 1000})
    await context.route(f"{routing_url}/v1/staffing*", with_a_short_pool)
    page = await context.new_page()
    console = Watched(page)
    await page.goto(f"{base}/console#token={bearer}")
    await expect(page.locator("#stream-state")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.locator("#staffing-alerts")).to_have_attribute("data-loaded", "true")

    # Short pools first and marked, with how many agents they lack.
    rows = page.locator("#staffing tbody tr")
    await expect(rows).to_have_count(2, timeout=LIVE_TIMEOUT_MS)
    await expect(rows.nth(0)).to_have_attribute("data-pool", short_pool)
    await expect(rows.nth(0)).to_have_class("short")
    await expect(rows.nth(0).locator('td[data-label="Available"]')).to_have_text("2 (short 5)")
    await expect(rows.nth(1)).not_to_have_class("short")
    await expect(rows.nth(1).locator('td[data-label="Service level"]')).to_have_text("85 %")
    # ...and its next intervals, the short one marked; a pool without history says so.
    forecasts = rows.nth(0).locator('td[data-label="Next"] .forecast')
    await expect(forecasts).to_have_count(2)
    await expect(forecasts.nth(1)).to_have_class("forecast short")
    await expect(forecasts.nth(1)).to_contain_text("need 5 / have 2")
    await expect(forecasts.nth(0)).to_have_class("forecast")
    await expect(rows.nth(1).locator('td[data-label="Next"]')).to_have_text("no history yet")

    # Routing's advisor announces a pool short: the alert arrives over the live stream.
    pool = f"{region}/staff{run}"
    await announce(platform.kafka_bootstrap, staffing(StaffingShortfall, pool, available=11))
    alert = page.locator("#staffing-alerts li", has_text=pool)
    await expect(alert).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(alert.locator(".status")).to_have_text("raised")
    await expect(alert).to_contain_text("short 3: 11 of 14 agents")
    await expect(page.locator("#staffing-notice")).to_contain_text(f"Pool {pool} is short")
    await page.screenshot(path=screenshot_dir() / "console-staffing.png", full_page=True)

    await alert.get_by_role("button", name="Acknowledge").click()
    await expect(alert.locator(".status")).to_have_text("acknowledged")
    await expect(alert.locator(".by")).to_have_text("by camille")
    listed = await http.get(f"{base}/v1/staffing-alerts", headers=header)
    (stored,) = [a for a in listed.json() if a["pool"] == pool]
    assert (stored["status"], stored["acknowledged_by"]) == ("acknowledged", "camille")

    # The pool recovers: the alert leaves the page.
    await announce(platform.kafka_bootstrap, staffing(StaffingRecovered, pool, available=15))
    await expect(alert).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    await expect(page.locator("#staffing-notice")).to_contain_text(
        f"Pool {pool} has the agents it needs again"
    )
    assert not [e for e in console.errors if "401" not in e], console.errors
