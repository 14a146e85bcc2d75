"""A demo day on the platform as ``make up`` starts it, checked from the outside.

The launcher starts a private broker, a private PostgreSQL cluster and the four services
with the demo configuration; the simulator drives a short compressed day through the public
APIs. Then the test reads every topic from the start and the APIs, and checks what must hold
whatever the day's randomness: every accepted contact is in exactly one case, no case has
two holders at once, a resolved case gets at most one survey request, breaches escalate in
their own region (and only its coordinators see them), and feedback's KPIs equal a recount
from the raw events. A consumer that is not ours (kcat) reads a topic too.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, expect

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    CaseAssigned,
    CaseOpened,
    CaseQueued,
    CaseReopened,
    CaseResolved,
    CaseTransferred,
    ContactReceived,
    EscalationAcknowledged,
    EscalationRaised,
    SlaAchieved,
    SlaBreached,
    SurveyAnswered,
    SurveyRequested,
)
from switchboard.launcher.databases import DatabaseKind
from switchboard.launcher.escalation_config import coordinators_in
from switchboard.launcher.local_platform import LaunchOptions, LocalPlatform
from switchboard.launcher.processes import SERVICES
from switchboard.servicekit.auth import DEV_JWT_SECRET, Role, TokenVerifier
from switchboard.servicekit.devinfra import free_port
from switchboard.simulator.api import Urls
from switchboard.simulator.day import SimulationConfig, run_day
from switchboard.simulator.report import DayReport

from .browser import open_console, screenshot_dir
from .platform import EventLog

pytestmark = pytest.mark.e2e

DEMO = Path(__file__).resolve().parents[2] / "deploy" / "demo"
DAY_SECONDS = 75.0
CONTACTS = 160


@pytest.fixture(scope="module")
def launched() -> Iterator[LocalPlatform]:
    """The platform as ``make up`` starts it (own broker, own PostgreSQL), on free ports."""
    folder = tempfile.mkdtemp(prefix="switchboard-demo-day-")
    os.chmod(folder, 0o755)  # the private cluster runs as the 'postgres' user
    options = LaunchOptions(
        data_dir=Path(folder) / "platform",
        ports={name: free_port() for name in SERVICES},
        kafka_port=free_port(),
        database=DatabaseKind.POSTGRES,
        routing_policies=DEMO / "routing-policies.yaml",
        escalation_config=DEMO / "escalation.yaml",
        survey_delay_seconds=2.0,
        base_env={k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")},
    )
    platform = LocalPlatform(options)
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()
        if keep := os.environ.get("SWITCHBOARD_E2E_LOG_DIR"):
            shutil.copytree(platform.logs_dir, Path(keep) / "demo-day", dirs_exist_ok=True)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="module")
def day(launched: LocalPlatform) -> DayReport:
    config = SimulationConfig(
        urls=Urls(*(launched.url(name) for name in SERVICES)),
        kafka=launched.kafka_bootstrap,
        jwt_secret=DEV_JWT_SECRET,
        day_seconds=DAY_SECONDS,
        contacts=CONTACTS,
        seed=11,
    )
    return asyncio.run(run_day(config))


@pytest.fixture(scope="module")
def day_events(day: DayReport, launched: LocalPlatform) -> list[Envelope[Any]]:
    """Every event of the day, read once from the start of every topic after it ended."""
    return asyncio.run(all_events(launched.kafka_bootstrap))


def token(subject: str, role: Role, regions: tuple[str, ...] = ()) -> dict[str, str]:
    signed = TokenVerifier(DEV_JWT_SECRET, "switchboard").issue(
        subject=subject, role=role, regions=regions
    )
    return {"Authorization": f"Bearer {signed}"}


async def all_events(bootstrap: str, settle: float = 3.0) -> list[Envelope[Any]]:
    """Every event on the broker, read from the start until nothing new came for ``settle``."""
    async with EventLog(bootstrap) as log:
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < settle:
            await asyncio.sleep(0.5)
            if len(log.envelopes) != seen:
                seen, quiet_since = len(log.envelopes), time.monotonic()
        return list(log.envelopes)


def of(envelopes: list[Envelope[Any]], *kinds: type) -> list[Any]:
    return [e.data for e in envelopes if isinstance(e.data, kinds)]


def test_the_day_ran_on_all_channels_and_regions(day: DayReport) -> None:
    assert not day.interrupted
    assert day.errors == []
    assert all(0 < contact.status < 500 for contact in day.contacts)
    accepted = day.accepted
    assert len(accepted) >= CONTACTS * 0.8, f"{len(accepted)} of {CONTACTS} contacts accepted"
    assert set(day.by_channel) == {"phone", "email", "chat", "social"}
    assert len(day.by_region) >= 3
    assert day.resolutions > 0
    assert day.surveys_answered


def test_every_accepted_contact_is_in_exactly_one_case(
    day: DayReport, day_events: list[Envelope[Any]]
) -> None:
    cases_of: dict[str, set[str]] = defaultdict(set)
    for event in of(day_events, ContactReceived):
        cases_of[event.contact_id].add(event.case_id)
    for event in of(day_events, CaseOpened):
        cases_of[event.first_contact_id].add(event.case_id)
    for contact in day.accepted:
        if contact.duplicate:
            continue  # intake answered with the earlier contact's ids
        assert contact.contact_id, contact
        assert contact.case_id, contact
        assert cases_of[contact.contact_id] == {contact.case_id}, contact


def test_no_case_has_two_holders_at_once(day: DayReport, day_events: list[Envelope[Any]]) -> None:
    holder: dict[str, str | None] = {}
    assignments = 0
    for event in of(
        day_events, CaseAssigned, CaseTransferred, CaseResolved, CaseQueued, CaseReopened
    ):
        if isinstance(event, CaseAssigned):
            current = holder.get(event.case_id)
            assert current is None, (
                f"{event.case_id} assigned to {event.agent_id} while {current} holds it"
            )
            holder[event.case_id] = event.agent_id
            assignments += 1
        else:
            holder[event.case_id] = None
    assert assignments >= day.offers.accepted > 0


def test_a_resolved_case_gets_at_most_one_survey_request(
    day: DayReport, day_events: list[Envelope[Any]]
) -> None:
    resolved = {event.case_id for event in of(day_events, CaseResolved)}
    requests = Counter(event.case_id for event in of(day_events, SurveyRequested))
    assert requests, "no survey was requested"
    assert set(requests) <= resolved
    assert max(requests.values()) == 1, requests.most_common(3)


def test_breaches_escalate_in_their_own_region_only(
    day: DayReport, launched: LocalPlatform, day_events: list[Envelope[Any]]
) -> None:
    breaches = of(day_events, SlaBreached)
    raised = of(day_events, EscalationRaised)
    assert breaches, "the staffing gap produced no SLA breach"
    region_of_case = {event.case_id: event.region for event in of(day_events, CaseOpened)}
    for escalation in raised:
        assert escalation.region == region_of_case[escalation.case_id]
    escalated = {escalation.case_id for escalation in raised}
    breached_cases = {breach.case_id for breach in breaches}
    assert escalated & breached_cases, "no breach led to an escalation"
    understaffed = {day.regions[name] for name in day.understaffed_regions}
    assert understaffed & {escalation.region for escalation in raised}
    # The regions' coordinators took some of them, each only in their own region.
    acknowledged = of(day_events, EscalationAcknowledged)
    assert len(acknowledged) == sum(day.escalations_acknowledged.values()) > 0
    coordinator_of = {
        region: c.id
        for c in coordinators_in(DEMO / "escalation.yaml")
        for region in c.regions
        if c.regions == (region,)
    }
    for taken in acknowledged:
        assert taken.by.id == coordinator_of[taken.region], taken

    by_region = Counter(escalation.region for escalation in raised)
    region, _ = by_region.most_common(1)[0]
    escalation_url = launched.url("escalation")
    mine = httpx.get(
        f"{escalation_url}/v1/escalations",
        params={"limit": 500},
        headers=token("coordinator-of-one", Role.COORDINATOR, (region,)),
    ).json()
    assert mine
    assert {row["region"] for row in mine} == {region}
    others = [code for code in day.regions.values() if code != region]
    theirs = httpx.get(
        f"{escalation_url}/v1/escalations",
        params={"limit": 500},
        headers=token("coordinator-elsewhere", Role.COORDINATOR, tuple(others)),
    ).json()
    assert region not in {row["region"] for row in theirs}


def recount(events: list[Envelope[Any]], region: str) -> dict[str, Any]:
    """The KPIs of one region recomputed from the raw events, as feedback defines them."""

    def here(*kinds: type) -> list[Any]:
        return [event for event in of(events, *kinds) if event.region == region]

    opened, reopened = len(here(CaseOpened)), len(here(CaseReopened))
    resolutions = len(here(CaseResolved))
    answers = [a for a in of(events, SurveyAnswered) if a.region == region]
    csat = [a.csat for a in answers if a.csat is not None]
    achieved, breached = len(here(SlaAchieved)), len(here(SlaBreached))
    return {
        "resolutions": resolutions,
        "surveys_requested": len(here(SurveyRequested)),
        "surveys_answered": len(answers),
        "csat_percent": round(100 * sum(c >= 4 for c in csat) / len(csat), 1) if csat else None,
        "sla_attainment_percent": (
            round(100 * achieved / (achieved + breached), 1) if achieved + breached else None
        ),
        "backlog": opened + reopened - resolutions,
    }


def reported(kpis: dict[str, Any]) -> dict[str, Any]:
    total = kpis["total"]
    return {
        name: round(total[name], 1) if isinstance(total[name], float) else total[name]
        for name in (
            "resolutions",
            "surveys_requested",
            "surveys_answered",
            "csat_percent",
            "sla_attainment_percent",
            "backlog",
        )
    }


def test_kpis_match_a_recount_from_the_raw_events(day: DayReport, launched: LocalPlatform) -> None:
    today = datetime.now(UTC).date()
    window = {
        "period": "day",
        "from": (today - timedelta(days=1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    feedback = launched.url("feedback")
    admin = token("kpi-auditor", Role.ADMIN)
    regions = sorted(set(day.regions.values()))
    deadline = time.monotonic() + 60
    while True:  # feedback counts what it consumes; give the last events time to land
        events = asyncio.run(all_events(launched.kafka_bootstrap, settle=1.0))
        expected = {region: recount(events, region) for region in regions}
        actual = {
            region: reported(
                httpx.get(
                    f"{feedback}/kpis", params=window | {"region": region}, headers=admin
                ).json()
            )
            for region in regions
        }
        if actual == expected or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert actual == expected
    assert sum(k["surveys_answered"] for k in expected.values()) == len(day.surveys_answered)


def test_kcat_reads_cloudevents_from_a_topic(day: DayReport, launched: LocalPlatform) -> None:
    """A consumer that is not ours: Debian's kcat reads switchboard.cases as JSON."""
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: apt-get install -y kcat (deploy/system-packages.sh does)"
    result = subprocess.run(
        [kcat, "-C", "-b", launched.kafka_bootstrap, "-t", "switchboard.cases",
         "-o", "beginning", "-e", "-J", "-q"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    records = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    assert len(records) >= len(day.accepted)
    contact_ids = {c.contact_id for c in day.accepted}
    seen_contacts = set()
    for record in records:
        flat = record["headers"]
        headers = dict(zip(flat[::2], flat[1::2], strict=True))
        assert headers["ce_specversion"] == "1.0"
        assert headers["content-type"] == "application/json"
        assert headers["ce_type"].startswith("switchboard.")
        assert headers["ce_source"]
        assert headers["ce_id"]
        assert headers["ce_time"]
        if "traceparent" in headers:  # only while tracing is on; the demo runs without
            assert re.fullmatch(r"00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]", headers["traceparent"])
        body = json.loads(record["payload"])
        assert record["key"] == body["case_id"] == headers["ce_subject"]
        if headers["ce_type"] == "switchboard.contact.received":
            seen_contacts.add(body["contact_id"])
    assert contact_ids <= seen_contacts | {None}


async def test_the_console_shows_the_understaffed_regions_day(
    day: DayReport, launched: LocalPlatform, browser: Browser
) -> None:
    """The coordinator of the region short of agents sees its escalations (and only its
    own), its queue, and KPIs and hourly points computed from the day."""
    region = day.regions[day.understaffed_regions[0]]
    bearer = token("coordinator-of-the-gap", Role.COORDINATOR, (region,))
    console = await open_console(
        browser,
        launched.url("escalation"),
        bearer["Authorization"].removeprefix("Bearer "),
        viewport={"width": 1360, "height": 1000},
    )
    page = console.page
    rows = page.locator("#escalation-list tr[data-escalation-id]")
    try:
        await expect(rows.first).to_be_visible()
        assert set(await rows.locator(".region").all_text_contents()) == {region}
        # Its SLAs breached, so it has an attainment (CSAT needs answers, which may not come).
        sla = page.locator("#kpi-totals .tile", has_text="SLA attainment").locator("dd")
        await expect(sla).to_have_text(re.compile(r"^\d+(\.\d)? %$"))
        await expect(page.locator("#kpi-chart circle").first).to_be_attached()
        await expect(page.locator("#kpi-chart svg")).to_contain_text("local time, UTC")
    finally:
        await page.screenshot(path=screenshot_dir() / "demo-day-console.png", full_page=True)
    assert console.errors == []
