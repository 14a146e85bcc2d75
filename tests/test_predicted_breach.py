"""Predicted breach across routing and escalation, in-process on SQLite under one simulated
clock: an understaffed chat pool (two agents, four minutes a case, a case a minute for
half an hour; first response within ten minutes). Routing's wait forecasts, offers,
replies and resolutions go to escalation as its consumer would hand them over; the
at-risk predictions are set against the 50 % warnings the clocks fire.

What it measures (printed with ``-s``): the median lead of a prediction over the case's
50 % warning, and the share of predicted cases that did breach (nobody acted on them).
A case whose forecast turns late only as its deadline nears is predicted after its
warning; every case that breaches here is predicted before it."""

from __future__ import annotations

import statistics
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    SlaBreached,
    SlaBreachPredicted,
    SlaWarned,
)
from switchboard.escalation.bootstrap import DEFINITION as ESCALATION
from switchboard.escalation.bootstrap import escalation_dependencies
from switchboard.escalation.domain.configuration import load_config
from switchboard.routing.bootstrap import DEFINITION as ROUTING
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer import agents, wait_forecasts, work
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.offers.loop import OfferLoop
from switchboard.servicekit.testing.in_process import InProcessService

pytestmark = pytest.mark.timeout(300)

START = datetime(2025, 11, 24, 8, 0, tzinfo=UTC)  # Monday 09:00 in Oslo, office open
STEP = timedelta(seconds=15)  # routing's forecast check
HANDLE = timedelta(minutes=4)
ARRIVALS = 30  # one a minute
FIRST_RESPONSE = timedelta(minutes=10)
CONFIG = """
calendars:
  nordics:
    timezone: Europe/Oslo
    country: "NO"
    hours: {mon: ["08:00-16:00"], tue: ["08:00-16:00"], wed: ["08:00-16:00"],
            thu: ["08:00-16:00"], fri: ["08:00-16:00"]}
sla_policies:
  - name: chat
    targets: {first_response: 10m, next_response: 1h, resolution: 8h}
    warnings: [0.5, 0.75]
    escalation_policy: standard
escalation_policies:
  - name: standard
    levels:
      - {name: coordinator, targets: ["role:coordinator"], acknowledge_within: 15m}
coordinators:
  - {id: nora, name: Nora, regions: [nordics], roles: [coordinator]}
"""


@dataclass
class SimulatedClock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Floor:
    """Routing and escalation side by side; routing's events handed to escalation."""

    routing: InProcessService[Any, Any]
    escalation: InProcessService[Any, Any]
    clock: SimulatedClock
    handed: int = 0
    working: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Case → (agent, when they resolve it)."""

    async def do(self, use_case: Any, **arguments: Any) -> Any:
        async with self.routing.service.transaction() as uow:
            return await use_case(uow=uow, now=self.clock.now, **arguments)

    async def hand_over(self) -> list[Event]:
        """Routing's events not yet handed to escalation, delivered there in order."""
        events = (await self.routing.published())[self.handed :]
        self.handed += len(events)
        handled = self.escalation.service.definition.handlers
        for event in events:
            if type(event) in handled:  # what escalation's consumer subscribes to
                await self.escalation.deliver(event)
        return events

    async def step(self) -> None:
        loop = self.routing.deps.offers
        assert isinstance(loop, OfferLoop)
        await loop.cycle()
        for event in await self.hand_over():
            if isinstance(event, CaseOffered):  # agents take and answer at once
                await self.do(answers.accept_offer, case_id=event.case_id, agent_id=event.agent_id)
                await self.do(
                    work.record_reply,
                    case_id=event.case_id,
                    agent_id=event.agent_id,
                    message_id=f"reply-{event.case_id}",
                )
                self.working[event.case_id] = (event.agent_id, self.clock.now + HANDLE)
        for case_id, (agent_id, done_at) in list(self.working.items()):
            if done_at <= self.clock.now:
                del self.working[case_id]
                await self.do(
                    work.resolve_case,
                    case_id=case_id,
                    agent_id=agent_id,
                    resolution_code="done",
                    note=None,
                )
                await self.do(work.finish_wrap_up, case_id=case_id, agent_id=agent_id)
        await self.do(wait_forecasts.forecast_waits)
        await self.hand_over()
        await self.escalation.fire_timers(now=self.clock.now)


@pytest.fixture
async def floor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Floor]:
    clock = SimulatedClock()
    for module in ("cases", "offers.answers", "wait_forecasts"):
        monkeypatch.setattr(f"switchboard.routing.service_layer.{module}.utcnow", clock)
    (tmp_path / "routing").mkdir()
    (tmp_path / "escalation").mkdir()
    routing = await InProcessService.start(
        ROUTING, tmp_path / "routing", replica_name="routing-sim", environment="test"
    )
    escalation = await InProcessService.start(
        replace(ESCALATION, dependencies=partial(escalation_dependencies, clock=clock)),
        tmp_path / "escalation",
        kafka_bootstrap_servers="127.0.0.1:9",
        config_refresh_seconds=0,
    )
    async with escalation.service.transaction() as uow:
        await uow.deps.config.replace(uow.session, config=load_config(CONFIG), by="test")
    loop = routing.deps.offers
    assert isinstance(loop, OfferLoop)
    loop.clock = clock
    floor = Floor(routing, escalation, clock)
    try:
        yield floor
    finally:
        await routing.close()
        await escalation.close()


async def test_an_understaffed_pool_is_predicted_to_breach_before_the_clocks_warn(
    floor: Floor,
) -> None:
    for name in ("a1", "a2"):
        profile = {"region": "nordics", "languages": ["da"], "capacity": {"chat": 1}}
        await floor.do(agents.save_agent, agent_id=name, profile=profile)
        await floor.do(agents.set_presence, agent_id=name, presence=Presence.AVAILABLE)
    opened: dict[str, datetime] = {}
    end = START + timedelta(minutes=45)  # the last case breaches at 0:39
    while floor.clock.now < end:
        minute, rest = divmod((floor.clock.now - START).total_seconds(), 60)
        if rest == 0 and minute < ARRIVALS:
            case = CaseOpened(
                case_id=f"case-{int(minute):02d}",
                customer_id=f"customer-{int(minute)}",
                region="nordics",
                channel="chat",
                opened_at=floor.clock.now,
                first_contact_id=f"contact-{int(minute)}",
                language="da",
                language_confidence=0.9,
                priority=3,
            )
            opened[case.case_id] = case.opened_at
            await floor.escalation.deliver(case)
            await floor.routing.deliver(case)
        await floor.step()
        floor.clock.now += STEP

    sla = await floor.escalation.published()
    predicted = {e.case_id: e for e in sla if isinstance(e, SlaBreachPredicted)}
    half_way = {
        e.case_id: e.due_at
        for e in sla
        if isinstance(e, SlaWarned) and e.metric == "first_response" and e.fraction == 0.5
    }
    breached = {
        e.case_id for e in sla if isinstance(e, SlaBreached) and e.metric == "first_response"
    }

    assert breached, "the pool should be short enough for some cases to breach"
    assert breached <= set(predicted), "every breach was predicted"
    leads = {c: half_way[c] - p.predicted_at for c, p in predicted.items() if c in half_way}
    assert all(leads[c] > timedelta(0) for c in breached), "each before its 50 % warning"
    early = sum(lead > timedelta(0) for lead in leads.values())
    median = statistics.median(lead.total_seconds() for lead in leads.values())
    precision = len(breached) / len(predicted)
    print(
        f"\ncases {len(opened)}, predicted {len(predicted)} ({early} before their 50 % warning), "
        f"breached {len(breached)}, warned at 50 % {len(half_way)}; median lead over the 50 % "
        f"warning {median:.0f} s; predicted that breached {precision:.0%}"
    )
    assert median >= 60
