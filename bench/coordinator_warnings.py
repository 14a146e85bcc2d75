"""Coordinator warnings on simulated days: a staffing shortfall flagged before the breaches
it causes, and predicted breaches before the clocks' warnings (issue 18).

Routing and escalation run in-process on SQLite under one simulated clock, as
tests/test_predicted_breach.py does, through whole working days of the simulator's
arrival curve (a morning peak at 10:00, a smaller one at 14:00) over its four regions.
Each region has the agents Erlang C says its peak needs, with a margin for the advisor's
fifteen-minute counts; every agent takes one call or chat at a time, answers as soon as
they accept, and works it for the simulator's lognormal handle time. Each day one
understaffed hour is injected with the simulator's own planning
(switchboard.simulator.understaffing: all of a region's agents away but one).

Routing's timers run as in production — the staffing advisor every minute over a
fifteen-minute interval, the wait forecasts every fifteen seconds — and so do
escalation's SLA clocks and breach predictions (first response within ten minutes,
warnings at 50 % and 75 %). Nobody acts on a warning.

Prints, for each injected hour, when the pool was flagged short against its first breach
at or after the onset; over all cases, the median lead of a breach prediction over the
case's 50 % warning, the share of predictions that did breach and the breaches never
predicted; the issue's targets (✓/✗); and "RESULT coordinator_warnings: ok" once
measured. ``--strict`` exits 1 on a missed target.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import math
import pkgutil
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

from stats import verdict

from switchboard.contracts.base import Event
from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    SlaBreached,
    SlaBreachPredicted,
    SlaWarned,
    StaffingShortfall,
)
from switchboard.contracts.events.staffing import StaffingEvent
from switchboard.escalation.bootstrap import DEFINITION as ESCALATION
from switchboard.escalation.bootstrap import escalation_dependencies
from switchboard.escalation.domain.configuration import load_config
from switchboard.routing.bootstrap import DEFINITION as ROUTING
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.staffing import agents_required
from switchboard.routing.service_layer import agents, staffing, wait_forecasts, work
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.offers.loop import OfferLoop
from switchboard.servicekit.testing.in_process import InProcessService
from switchboard.simulator.agents import HANDLE_MEDIAN_SECONDS
from switchboard.simulator.arrivals import ArrivalProcess
from switchboard.simulator.clock import lognormal
from switchboard.simulator.scenario import (
    DAY_START_HOUR,
    REGIONS,
    SPOKEN,
    AgentSpec,
    Shift,
    World,
)
from switchboard.simulator.understaffing import (
    Absences,
    UnderstaffedHour,
    parse_understaffed_hour,
    plan_absences,
)

FIRST_DAY = datetime(2026, 12, 7, tzinfo=UTC)  # a Monday
STEP = timedelta(seconds=15)  # routing's wait-forecast check
CHANNELS = ("phone", "chat")
HANDLE_SIGMA = 0.6
FIRST_RESPONSE = timedelta(minutes=10)
ADVISOR = {"within_seconds": 60.0, "target": 0.8}  # routing's default service-level target
STAFFING_INTERVAL = timedelta(minutes=15)
CONFIG = {  # escalation's configuration file (JSON is YAML too)
    "calendars": {region.name: {"timezone": "UTC"} for region in REGIONS},  # always open
    "sla_policies": [
        {
            "name": "live",
            "targets": {
                "first_response": f"{FIRST_RESPONSE.seconds}s",
                "next_response": "1h",
                "resolution": "8h",
            },
            "warnings": [0.5, 0.75],
            "escalation_policy": "regional",
        }
    ],
    "escalation_policies": [
        {
            "name": "regional",
            "levels": [
                {
                    "name": "coordinator",
                    "targets": ["role:coordinator"],
                    "acknowledge_within": "15m",
                }
            ],
        }
    ],
    "coordinators": [
        {"id": r.coordinator, "name": r.coordinator, "regions": [r.name], "roles": ["coordinator"]}
        for r in REGIONS
    ],
}


@dataclass(frozen=True)
class Arrival:
    at: datetime
    case: CaseOpened
    handle: timedelta


@dataclass(frozen=True)
class DayPlan:
    day: int
    start: datetime
    end: datetime
    window: UnderstaffedHour
    arrivals: list[Arrival]

    def at(self, hour: float) -> datetime:
        return self.start.replace(hour=0) + timedelta(hours=hour)

    @property
    def onset(self) -> datetime:
        return self.at(self.window.start_hour)


def mean_handle_seconds() -> float:
    medians = [HANDLE_MEDIAN_SECONDS[channel] for channel in CHANNELS]
    return statistics.fmean(medians) * math.exp(HANDLE_SIGMA**2 / 2)


def staffed_world(contacts: int, hours: float) -> World:
    """Each region's agents for its peak: Erlang C at a fifteen-minute count two
    standard deviations above the peak's mean (the advisor's count), one at a time."""
    process = ArrivalProcess(contacts, start=DAY_START_HOUR, end=DAY_START_HOUR + hours)
    peak = max(process.rate(DAY_START_HOUR + i / 10) for i in range(int(hours * 10)))
    handle = mean_handle_seconds()
    specs = []
    for region in REGIONS:
        quarter = peak * region.share / 4
        busy = (quarter + 2 * math.sqrt(quarter)) * handle / STAFFING_INTERVAL.total_seconds()
        needed = agents_required(busy, handle_seconds=handle, **ADVISOR)
        shift = Shift(DAY_START_HOUR, DAY_START_HOUR + hours + 1)  # the queue drains after
        specs += [
            AgentSpec(
                id=f"{region.name}-{index + 1}",
                region=region.name,
                team=region.name,
                languages=SPOKEN[region.name],
                skills={"support": 6},
                capacity={"phone": 1, "chat": 1},
                shift=shift,
            )
            for index in range(needed)
        ]
    codes = {region.name: region.name for region in REGIONS}
    return World("bench", REGIONS, codes, tuple(specs))


def plan_day(rng: random.Random, *, day: int, contacts: int, hours: float) -> DayPlan:
    """A day's arrivals and its understaffed hour (a region, starting on a quarter hour
    while its peak and the afternoon's traffic last)."""
    start = FIRST_DAY + timedelta(days=day, hours=DAY_START_HOUR)
    region = REGIONS[day % len(REGIONS)].name
    latest = max(1, int((hours - 2) * 4))
    onset = DAY_START_HOUR + 1 + rng.randrange(latest) / 4
    hh, mm = divmod(round(onset * 60), 60)
    window = parse_understaffed_hour(f"{region}@{hh:02d}:{mm:02d}+60/1")
    arrivals = []
    process = ArrivalProcess(contacts, start=DAY_START_HOUR, end=DAY_START_HOUR + hours)
    for number, hour in enumerate(process.hours(rng)):
        where = rng.choices(REGIONS, weights=[r.share for r in REGIONS])[0]
        channel = rng.choice(CHANNELS)
        language = rng.choices(list(where.languages), weights=list(where.languages.values()))[0]
        at = start.replace(hour=0) + timedelta(hours=hour)
        case = CaseOpened(
            case_id=f"d{day}-{number:05d}",
            customer_id=f"d{day}-customer-{number}",
            region=where.name,
            channel=channel,
            opened_at=at,
            first_contact_id=f"d{day}-contact-{number}",
            language=language,
            language_confidence=0.9,
            priority=3,
        )
        handle = timedelta(seconds=lognormal(rng, HANDLE_MEDIAN_SECONDS[channel], HANDLE_SIGMA))
        arrivals.append(Arrival(at, case, handle))
    end = start + timedelta(hours=hours + 1)
    return DayPlan(day, start, end, window, arrivals)


@dataclass
class SimulatedClock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now


def follow(clock: SimulatedClock) -> None:
    """Routing's use cases and timers read the time from servicekit's ``utcnow``, imported
    into each module: every one of them reads the simulated clock instead."""
    package = importlib.import_module("switchboard.routing.service_layer")
    for each in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
        module = importlib.import_module(each.name)
        if hasattr(module, "utcnow"):
            module.utcnow = clock


@dataclass
class Floor:
    """Routing and escalation side by side; routing's events handed to escalation."""

    routing: InProcessService[Any, Any]
    escalation: InProcessService[Any, Any]
    clock: SimulatedClock
    handles: dict[str, timedelta]
    handed: int = 0
    present: dict[str, bool] = field(default_factory=dict)
    working: dict[str, tuple[str, datetime]] = field(default_factory=dict)
    """Case → (agent, when they resolve it)."""

    async def do(self, use_case: Any, **arguments: Any) -> Any:
        async with self.routing.service.transaction() as uow:
            return await use_case(uow=uow, now=self.clock.now, **arguments)

    async def hand_over(self) -> list[Event]:
        events = (await self.routing.published())[self.handed :]
        self.handed += len(events)
        handled = self.escalation.service.definition.handlers
        wanted = [e for e in events if type(e) in handled]  # what escalation's consumer reads
        if wanted:
            await self.escalation.deliver(*wanted)  # in one transaction, as one fetch is
        return events

    async def shifts(self, world: World, absences: Absences, hour: float) -> None:
        for spec in world.agents:
            wanted = absences.on_duty(spec, hour)
            if self.present.get(spec.id) != wanted:
                self.present[spec.id] = wanted
                presence = Presence.AVAILABLE if wanted else Presence.AWAY
                await self.do(agents.set_presence, agent_id=spec.id, presence=presence)

    async def step(self) -> None:
        loop = self.routing.deps.offers
        assert isinstance(loop, OfferLoop)
        await loop.cycle()
        await self.routing.fire_timers(now=self.clock.now)  # staffing, wait forecasts
        for event in await self.hand_over():
            if isinstance(event, CaseOffered):  # agents take and answer at once
                await self.do(answers.accept_offer, case_id=event.case_id, agent_id=event.agent_id)
                await self.do(
                    work.record_reply,
                    case_id=event.case_id,
                    agent_id=event.agent_id,
                    message_id=f"reply-{event.case_id}",
                )
                done_at = self.clock.now + self.handles[event.case_id]
                self.working[event.case_id] = (event.agent_id, done_at)
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
        await self.hand_over()
        await self.escalation.fire_timers(now=self.clock.now)


@dataclass
class DayOutcome:
    plan: DayPlan
    sla: list[Event]
    staffing: list[StaffingEvent]
    """Shortfalls and recoveries the advisor announced."""

    def flagged(self) -> tuple[datetime | None, bool]:
        """When the injected hour's pool was announced short: the first shortfall from the
        onset to the hour's end, or the standing one (True) if it was short already."""
        plan, onset = self.plan, self.plan.onset
        pool = [e for e in self.staffing if e.pool == plan.window.region]
        before = [e for e in pool if e.assessed_at < onset]
        if before and isinstance(before[-1], StaffingShortfall):
            return before[-1].assessed_at, True
        end = plan.at(plan.window.end_hour)
        during = [
            e.assessed_at
            for e in pool
            if isinstance(e, StaffingShortfall) and onset <= e.assessed_at < end
        ]
        return min(during, default=None), False

    def first_breach(self) -> datetime | None:
        """The first first-response breach in the injected hour's pool from its onset."""
        return min(
            (
                e.breached_at
                for e in self.sla
                if isinstance(e, SlaBreached)
                and e.metric == "first_response"
                and e.region == self.plan.window.region
                and e.breached_at >= self.plan.onset
            ),
            default=None,
        )

    def other_breaches(self) -> list[SlaBreached]:
        """First-response breaches of another pool, or before the injected hour."""
        window, onset = self.plan.window, self.plan.onset
        return [
            e
            for e in self.sla
            if isinstance(e, SlaBreached)
            and e.metric == "first_response"
            and not (e.region == window.region and e.breached_at >= onset)
        ]

    def other_shortfalls(self) -> list[StaffingShortfall]:
        """Shortfalls of another pool, or outside the injected hour (and one interval after)."""
        window, onset = self.plan.window, self.plan.onset
        end = self.plan.at(window.end_hour) + STAFFING_INTERVAL
        return [
            e
            for e in self.staffing
            if isinstance(e, StaffingShortfall)
            and not (e.pool == window.region and onset <= e.assessed_at < end)
        ]


async def run_day(plan: DayPlan, world: World, directory: Path) -> DayOutcome:
    clock = SimulatedClock(plan.start - STEP)
    follow(clock)
    (directory / "routing").mkdir(parents=True)
    (directory / "escalation").mkdir()
    routing = await InProcessService.start(
        ROUTING,
        directory / "routing",
        replica_name="routing-bench",
        environment="test",
        staffing_interval_seconds=STAFFING_INTERVAL.total_seconds(),
        staffing_default_handle_seconds=mean_handle_seconds(),
    )
    escalation = await InProcessService.start(
        replace(ESCALATION, dependencies=partial(escalation_dependencies, clock=clock)),
        directory / "escalation",
        kafka_bootstrap_servers="127.0.0.1:9",
        config_refresh_seconds=3600,  # the configuration stored below is seen at once
    )
    try:
        async with escalation.service.transaction() as uow:
            await uow.deps.config.replace(
                uow.session, config=load_config(json.dumps(CONFIG)), by="bench"
            )
        loop = routing.deps.offers
        assert isinstance(loop, OfferLoop)
        loop.clock = clock
        for spec in world.agents:
            async with routing.service.transaction() as uow:
                await agents.save_agent(
                    uow=uow, agent_id=spec.id, profile=spec.profile(), now=clock.now
                )
        await staffing.start_staffing_checks(routing.deps)
        await wait_forecasts.start_wait_forecasts(routing.deps)
        floor = Floor(routing, escalation, clock, {a.case.case_id: a.handle for a in plan.arrivals})
        absences = plan_absences(world, [plan.window])
        pending = list(reversed(plan.arrivals))
        clock.now = plan.start
        while clock.now < plan.end:
            hour = (clock.now - plan.at(0)).total_seconds() / 3600
            if clock.now.second == 0:
                await floor.shifts(world, absences, hour)
            arriving = []
            while pending and pending[-1].at <= clock.now:
                arriving.append(pending.pop().case)
            if arriving:
                await escalation.deliver(*arriving)
                await routing.deliver(*arriving)
            await floor.step()
            clock.now += STEP
        sla = await escalation.published()
        announced = await routing.published(StaffingEvent)
        return DayOutcome(plan, sla, announced)
    finally:
        await routing.close()
        await escalation.close()


def minutes(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 60:+5.1f} min"


def report(outcomes: list[DayOutcome]) -> dict[str, bool]:
    """Prints the per-hour and per-case measurements; the issue's targets, met or not."""
    flagged_first = []
    for outcome in outcomes:
        plan = outcome.plan
        flagged, standing = outcome.flagged()
        breach = outcome.first_breach()
        before = flagged is not None and (breach is None or flagged < breach)
        flagged_first.append(before)
        said = "never flagged" if flagged is None else f"flagged {flagged:%H:%M:%S}"
        if standing:
            said += " (short already before the onset)"
        seen = "no breach after the onset" if breach is None else f"first breach {breach:%H:%M:%S}"
        lead = f", lead {minutes(breach - flagged)}" if flagged and breach else ""
        print(f"  day {plan.day + 1} {plan.window}: {said}, {seen}{lead} {'✓' if before else '✗'}")
    sla = [e for outcome in outcomes for e in outcome.sla]
    predicted = {e.case_id: e.predicted_at for e in sla if isinstance(e, SlaBreachPredicted)}
    half_way = {  # when the clock said it (its timer fires at the step after it was due)
        e.case_id: e.warned_at
        for e in sla
        if isinstance(e, SlaWarned) and e.metric == "first_response" and e.fraction == 0.5
    }
    breached = {
        e.case_id: e.breached_at
        for e in sla
        if isinstance(e, SlaBreached) and e.metric == "first_response"
    }
    cases = sum(len(o.plan.arrivals) for o in outcomes)
    leads = [(half_way[c] - at).total_seconds() for c, at in predicted.items() if c in half_way]
    ahead_of_breach = [
        (breached[c] - at).total_seconds() for c, at in predicted.items() if c in breached
    ]
    came_true = sum(c in breached for c in predicted)
    unforeseen = sorted(set(breached) - set(predicted))
    median = statistics.median(leads) if leads else math.nan
    print(
        f"{len(outcomes)} simulated days, {cases} cases, {len(predicted)} predicted to breach "
        f"({len(leads)} of them warned at 50 %), {len(half_way)} warned at 50 %, "
        f"{len(breached)} breached"
    )
    tenth = statistics.quantiles(leads, n=10)[0] if len(leads) > 1 else math.nan
    print(
        f"prediction before the 50 % warning: median lead {median / 60:.1f} min, 10th "
        f"percentile {tenth / 60:.1f} min ({sum(lead > 0 for lead in leads)}/{len(leads)} "
        f"earlier); before the breach: median "
        f"{statistics.median(ahead_of_breach) / 60 if ahead_of_breach else math.nan:.1f} min"
    )
    print(
        f"predictions that did breach (nobody acted): {came_true}/{len(predicted)} "
        f"({came_true / len(predicted) if predicted else 0:.0%}); "
        f"breaches never predicted: {len(unforeseen)}/{len(breached)}"
    )
    elsewhere = sum(len(outcome.other_breaches()) for outcome in outcomes)
    print(f"breaches outside the injected hours' pools and hours: {elsewhere}/{len(breached)}")
    others = [e for outcome in outcomes for e in outcome.other_shortfalls()]
    print(
        f"shortfalls outside the injected hours: {len(others)} "
        f"({', '.join(f'{e.pool} {e.assessed_at:%d %H:%M}' for e in others[:8]) or 'none'})"
    )
    return {
        "every injected hour flagged before its first breach": all(flagged_first),
        "predictions earlier than the 50 % warnings (median lead > 0)": median > 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=5)
    parser.add_argument("--contacts-per-day", type=int, default=600)
    parser.add_argument("--hours", type=float, default=10.0, help="arrivals from 08:00 this long")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--smoke", action="store_true", help="one short day")
    args = parser.parse_args()
    if args.smoke:
        args.days, args.hours, args.contacts_per_day = 1, 2.0, 200
    began = time.monotonic()
    world = staffed_world(args.contacts_per_day, args.hours)
    staffed = {r.name: sum(a.region == r.name for a in world.agents) for r in REGIONS}
    print(f"agents per region: {staffed}; first response within {FIRST_RESPONSE}")
    rng = random.Random(args.seed)
    outcomes = []
    memory = Path("/dev/shm")  # SQLite's commits without a disk's flushes, where there is one
    scratch_in = str(memory) if memory.is_dir() else None
    with tempfile.TemporaryDirectory(prefix="coordinator-warnings-", dir=scratch_in) as scratch:
        for day in range(args.days):
            plan = plan_day(rng, day=day, contacts=args.contacts_per_day, hours=args.hours)
            directory = Path(scratch) / f"day{day}"
            outcomes.append(asyncio.run(run_day(plan, world, directory)))
            print(
                f"day {day + 1}: {len(plan.arrivals)} cases, {plan.window} "
                f"({time.monotonic() - began:.0f} s)",
                flush=True,
            )
    targets = report(outcomes)
    print(f"ran in {time.monotonic() - began:.1f} s")
    return verdict("coordinator_warnings", targets, strict=args.strict)


if __name__ == "__main__":
    sys.exit(main())
