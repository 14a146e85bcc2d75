"""The coordinator console in a real browser (Debian's chromium, headless) on the whole
platform: a coordinator signs in through the link's #token fragment, sees an escalation of
their region arrive live, acknowledges it from the page, and sees their region's queues,
agents and KPIs; a coordinator of other regions never sees it; a bad token lands on the
sign-in form with the reason. Screenshots go to ``SWITCHBOARD_E2E_SCREENSHOT_DIR``."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.async_api import expect

from switchboard.contracts.events import CaseOpened
from switchboard.servicekit.auth import TokenVerifier
from switchboard.servicekit.testing.helpers import eventually

from .browser import open_console, screenshot_dir
from .platform import AUDIENCE

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(180)]

LIVE_TIMEOUT_MS = 20_000
# Polish, which no agent of the region that other e2e tests hire speaks: the case waits.
POLISH = (
    "Dzień dobry, moje zamówienie nadal nie dotarło, a od tygodnia nikt nie odpowiada na moje "
    "wiadomości. Czy mogą mi Państwo powiedzieć, gdzie ono jest? Bardzo proszę o pomoc."
)


def token(platform, subject: str, *regions: str) -> str:
    header = platform.auth(subject, "coordinator", regions)["Authorization"]
    return str(header.removeprefix("Bearer "))


async def test_a_coordinator_follows_and_acknowledges_escalations_of_their_region(
    platform, intake, routing, events, http, browser
):
    regions, run = platform.regions, uuid.uuid4().hex[:8]
    shots = screenshot_dir()
    base = platform.url("escalation")
    routing_url, feedback_url = platform.url("routing"), platform.url("feedback")
    camille = token(platform, "camille", regions.eu_west)
    camille_api = {"Authorization": f"Bearer {camille}"}

    # A waiting case in camille's region, and an agent there who cannot take it (skill 3 < 5).
    chat = await intake.register("chat", regions.eu_west)
    posted = await intake.post(
        chat,
        {
            "session_id": f"s-{run}",
            "message_id": "1",
            "visitor": {"id": f"v-{run}"},
            "message": POLISH,
        },
    )
    assert posted.status_code == 202, posted.text
    case_id = posted.json()["case_id"]
    await events.wait_for(CaseOpened, lambda e: e.case_id == case_id)
    agent = f"lea-{run}"
    await routing.hire(agent, region=regions.eu_west, languages=["pl"], skills={"support": 3})
    await routing.available(agent)

    async def escalation_knows_the_case() -> bool:
        clocks = await http.get(f"{base}/v1/cases/{case_id}/sla", headers=camille_api)
        return clocks.status_code == 200

    await eventually(escalation_knows_the_case, timeout=20)

    # Signed in straight from the launcher's link; the stream is live.
    console = await open_console(browser, base, camille, viewport={"width": 1360, "height": 900})
    page = console.page
    await expect(page.locator("#who-name")).to_have_text("camille")
    await expect(page.locator("#who-regions")).to_have_text(regions.eu_west)
    await expect(page.locator("#region-picker")).to_be_hidden()
    listed_before, navigations_before = console.listings(), console.navigations

    # Raised now, it arrives over the stream: no reload, no new listing.
    raised = await http.post(
        f"{base}/v1/cases/{case_id}/escalations",
        json={"reason": "Le client demande un responsable <b>immédiatement</b>"},
        headers=camille_api,
    )
    assert raised.status_code == 201, raised.text
    escalation_id = raised.json()["escalation_id"]
    row = page.locator(f'tr[data-escalation-id="{escalation_id}"]')
    await expect(row).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(row.locator(".status")).to_have_text("open")
    await expect(row.locator(".case")).to_have_text(case_id)
    await expect(row.locator(".region")).to_have_text(regions.eu_west)
    await expect(row.locator(".level")).to_have_text("L1")
    # Markup in data stays text.
    await expect(row.locator(".reason")).to_have_text(
        "Le client demande un responsable <b>immédiatement</b>"
    )
    assert await row.locator(".reason b").count() == 0
    assert console.listings() == listed_before, "the row must come from the stream"
    assert console.navigations == navigations_before, "the page must not reload"

    # Acknowledged from the page: the row updates and the service agrees.
    await row.get_by_role("button", name="Acknowledge").click()
    await expect(row.locator(".status")).to_have_text("acknowledged")
    await expect(row.locator(".by")).to_have_text("by camille")
    await expect(row.get_by_role("button", name="Acknowledge")).to_be_disabled()
    stored = await http.get(f"{base}/v1/escalations/{escalation_id}", headers=camille_api)
    assert (stored.json()["status"], stored.json()["acknowledged_by"]) == (
        "acknowledged",
        "camille",
    )

    # Queues and agents from routing, KPIs from feedback, all across origins with the token.
    waiting = page.locator('#queues td[data-label="Waiting"]', has_text=re.compile(r"^[1-9]"))
    await expect(waiting.first).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    ours = page.locator("#agents tbody tr", has_text=agent)
    await expect(ours.locator('td[data-label="State"]')).to_have_text("available")
    await expect(page.locator("#agents .presence-available")).to_be_visible()
    await page.screenshot(path=shots / "console-acknowledged.png", full_page=True)
    await expect(page.locator("#kpi-totals .tile")).to_have_count(6)
    await expect(page.locator("#kpi-chart svg")).to_be_visible()
    await expect(page.locator("#kpi-chart .legend")).to_contain_text("SLA attainment %")
    region_query = f"?region={regions.eu_west}"
    assert 200 in console.answered(routing_url, f"/v1/queues{region_query}")
    assert 200 in console.answered(routing_url, f"/v1/agents{region_query}")
    assert 200 in console.answered(feedback_url, f"/kpis{region_query}&period=hour")
    await page.screenshot(path=shots / "console-coordinator.png", full_page=True)

    # A coordinator of two other regions: a region picker, and never camille's escalation.
    nils = token(platform, "nils", regions.nordics, regions.eu_central)
    other = await open_console(browser, base, nils, viewport={"width": 1360, "height": 900})
    picker = other.page.locator("#region")
    await expect(picker.locator("option")).to_have_count(2)
    await expect(other.page.locator(f'tr[data-escalation-id="{escalation_id}"]')).to_have_count(0)
    await picker.select_option(regions.eu_central)
    await expect(other.page.locator("#escalations-empty")).to_contain_text(regions.eu_central)

    # Resolved while both watch: it leaves camille's list; nils still never saw it.
    resolved = await http.post(
        f"{base}/v1/escalations/{escalation_id}/resolve", json={}, headers=camille_api
    )
    assert resolved.status_code == 200, resolved.text
    await expect(row).to_have_count(0, timeout=LIVE_TIMEOUT_MS)
    await expect(page.locator("#notice")).to_contain_text("resolved by camille")
    await picker.select_option(regions.nordics)
    await expect(other.page.locator(f'tr[data-escalation-id="{escalation_id}"]')).to_have_count(0)
    await expect(other.page.locator("#escalations-empty")).to_be_visible()
    await other.page.screenshot(path=shots / "console-other-regions.png", full_page=True)

    # A phone-sized window with camille's view.
    phone = await open_console(browser, base, camille, viewport={"width": 390, "height": 844})
    await expect(phone.page.locator("#kpi-chart svg")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await phone.page.screenshot(path=shots / "console-phone.png", full_page=True)

    # Signing out forgets the token.
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.locator("#sign-in")).to_be_visible()
    assert await page.evaluate("sessionStorage.length") == 0

    for watched in (console, other, phone):
        assert not [e for e in watched.errors if "401" not in e], watched.errors


async def test_a_token_the_services_refuse_returns_to_the_sign_in_form(platform, browser):
    forged = TokenVerifier("not-the-platform-secret-0123456789abcdef", AUDIENCE).issue(
        subject="mallory", role="coordinator", regions=[platform.regions.eu_west]
    )
    page = await (await browser.new_context()).new_page()
    await page.goto(f"{platform.url('escalation')}/console#token={forged}")
    await expect(page.locator("#sign-in")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(page.locator("#sign-in-reason")).to_contain_text("invalid bearer token")
    await expect(page.locator("#console")).to_be_hidden()
    assert await page.evaluate("sessionStorage.length") == 0

    await page.get_by_label("Your Switchboard bearer token (JWT)").fill("not a token")
    await page.get_by_role("button", name="Sign in").click()
    await expect(page.locator("#sign-in-reason")).to_contain_text("not a JWT")
    await page.screenshot(path=screenshot_dir() / "console-sign-in.png", full_page=True)
