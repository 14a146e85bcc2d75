"""A chaos run: the platform as ``make up`` starts it (its own broker and PostgreSQL), the
simulated day driven over HTTP, a fault schedule applied meanwhile, and afterwards every
topic read from the start, the dead-letter topics and the clients' exchanges checked."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from switchboard.chaos import invariants
from switchboard.chaos.faults import INFRASTRUCTURE, Fault, Outcome, random_fault
from switchboard.chaos.probe import CAPACITY, Probe
from switchboard.chaos.targets import Targets
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.topics import AGENT_STATUS, ALL_TOPICS, ASSIGNMENTS
from switchboard.launcher.databases import DatabaseKind
from switchboard.launcher.local_platform import LaunchOptions, LocalPlatform
from switchboard.launcher.processes import SERVICES
from switchboard.servicekit.auth import DEV_JWT_SECRET
from switchboard.servicekit.devinfra import free_port
from switchboard.simulator.api import Call, Platform, Urls
from switchboard.simulator.day import Simulation, SimulationConfig
from switchboard.simulator.observe import EventFeed
from switchboard.simulator.report import DayReport

DEMO = Path(__file__).resolve().parents[4] / "deploy" / "demo"
DEAD_LETTER_PREFIX = "switchboard.dlq."
Say = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass
class ChaosOptions:
    seed: int = 1
    schedule: Sequence[Fault] | None = None
    """Faults in this order; None: at random (seeded) until ``minutes`` have passed."""
    minutes: float = 5.0
    kafka_nodes: int = 1
    replicas: dict[str, int] = field(default_factory=dict)
    """Processes per service (the launcher's ``replicas``); a fault kills the last one."""
    day_seconds: float = 120.0
    contacts: int = 150
    days: int = 1
    first_fault_after: float = 8.0
    gap_seconds: float = 3.0
    """Quiet seconds after a recovery before the next fault."""
    longest_gap: float | None = None
    """With random faults: a gap between ``gap_seconds`` and this, at random."""
    routed_within: float = 30.0
    """Seconds after every service is ready again by which a fresh contact is offered (a
    killed routing's consumer stays in its group until the session times out, 10 s)."""
    ready_within: float = 90.0
    """Seconds after a restart by which every service must answer ``/readyz`` with 200 (a
    service's cold start, language models and all, on a loaded two-core machine)."""


@dataclass
class ChaosReport:
    options: ChaosOptions
    outcomes: list[Outcome]
    day: DayReport
    calls: list[Call]
    checks: list[invariants.Check]
    events: int
    probe_errors: list[str]
    died: list[str]
    minutes: float

    @property
    def passed(self) -> bool:
        return all(check.passed for check in self.checks)


def launch(data_dir: Path, options: ChaosOptions, say: Say = _quiet) -> LocalPlatform:
    """The platform as ``make up`` starts it with the demo configuration, on free ports."""
    os.makedirs(data_dir, exist_ok=True)
    os.chmod(data_dir, 0o755)  # noqa: S103 - the private PostgreSQL runs as 'postgres' when we are root
    launch_options = LaunchOptions(
        data_dir=data_dir,
        ports={name: free_port() for name in SERVICES},
        kafka_port=free_port(),
        kafka_nodes=options.kafka_nodes,
        database=DatabaseKind.POSTGRES,
        routing_policies=DEMO / "routing-policies.yaml",
        escalation_config=DEMO / "escalation.yaml",
        survey_delay_seconds=2.0,
        base_env={k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")},
    )
    if options.replicas:
        if "replicas" not in {f.name for f in dataclasses.fields(LaunchOptions)}:
            raise ValueError("this launcher runs one process per service (no replicas)")
        launch_options = dataclasses.replace(launch_options, replicas=dict(options.replicas))  # type: ignore[call-arg]
    platform = LocalPlatform(launch_options)
    platform.start(say)
    return platform


async def run_chaos(
    platform: LocalPlatform, options: ChaosOptions, say: Say = _quiet
) -> ChaosReport:
    began = time.monotonic()
    # The harness's own consumers lose the broker on purpose: no error log per reconnect.
    logging.getLogger("aiokafka").setLevel(logging.CRITICAL)
    urls = Urls(*(platform.url(name) for name in SERVICES))
    config = SimulationConfig(
        urls=urls,
        kafka=platform.kafka_bootstrap,
        jwt_secret=DEV_JWT_SECRET,
        day_seconds=options.day_seconds,
        contacts=options.contacts,
        seed=options.seed,
        days=options.days,
    )
    stop = asyncio.Event()
    simulation = Simulation(config, stop=stop)
    api = Platform(urls, DEV_JWT_SECRET)
    probe = Probe(api, simulation.run_id, simulation.world.code("dach"))
    feed = EventFeed(
        platform.kafka_bootstrap, probe.handle, topics=[ASSIGNMENTS.name, AGENT_STATUS.name]
    )
    targets = Targets(platform)
    outcomes: list[Outcome] = []
    windows: list[invariants.Window] = []
    await feed.start()
    try:
        await probe.set_up()
        day = asyncio.create_task(simulation.run(None))
        try:
            await _apply_faults(platform, targets, probe, options, outcomes, windows, day, say)
            if options.schedule is None:
                stop.set()  # the soak's time is up: end the day where it is
            report = await day
        finally:
            if not day.done():
                stop.set()
                await asyncio.gather(day, return_exceptions=True)
        await probe.close()
    finally:
        await feed.stop()
        await api.close()
    say("reading every topic from the start")
    events = invariants.unique(await all_events(platform.kafka_bootstrap))
    dead = await dead_letters(platform.kafka_bootstrap)
    capacities: dict[str, dict[str, int]] = {
        spec.id: dict(spec.capacity) for spec in simulation.world.agents
    }
    capacities[probe.agent_id] = dict(CAPACITY)
    calls = [*simulation.platform.calls, *api.calls]
    died = targets.died_on_their_own()
    checks = [
        invariants.every_contact_answered(report.contacts),
        invariants.contacts_in_one_case(events, report.accepted, probe.accepted),
        invariants.case_events_in_order(events),
        invariants.one_holder_at_a_time(events),
        invariants.within_capacity(events, capacities),
        invariants.one_survey_per_resolved_case(events),
        invariants.breaches_escalated_once_per_level(events),
        invariants.no_dead_letters(dead),
        invariants.clients_saw_only_2xx_or_503(calls),
        invariants.connection_errors_only_while_down(calls, windows),
        invariants.routed_after_every_fault(
            [(o.ready_after, o.routed_once_ready) for o in outcomes],
            options.ready_within,
            options.routed_within,
        ),
        invariants.Check(
            "no service died on its own",
            not died,
            len(platform.services),
            len(died),
            ", ".join(died),
        ),
    ]
    return ChaosReport(
        options,
        outcomes,
        report,
        calls,
        checks,
        len(events),
        probe.errors,
        died,
        (time.monotonic() - began) / 60,
    )


async def _apply_faults(
    platform: LocalPlatform,
    targets: Targets,
    probe: Probe,
    options: ChaosOptions,
    outcomes: list[Outcome],
    windows: list[invariants.Window],
    day: asyncio.Task[DayReport],
    say: Say,
) -> None:
    deadline = time.monotonic() + options.minutes * 60
    rng = random.Random(options.seed)
    await asyncio.sleep(options.first_fault_after)
    schedule = list(options.schedule) if options.schedule is not None else None
    while True:
        if schedule is not None:  # all of them, also if the day ended first (the probe
            if not schedule:  # still posts after each)
                return
            fault = schedule.pop(0)
        else:
            if time.monotonic() > deadline or day.done():
                return
            fault = random_fault(rng, kafka_nodes=options.kafka_nodes)
        outcome = await apply(platform, targets, probe, fault, options)
        outcomes.append(outcome)
        end = outcome.ready_at or float("inf")
        for target in fault.targets:
            if target in SERVICES:
                windows.append((target, outcome.killed_at, end + 1.0))
        say(describe(outcome))
        gap = options.gap_seconds
        if schedule is None and options.longest_gap is not None:
            gap = rng.uniform(gap, max(gap, options.longest_gap))
        await asyncio.sleep(gap)


async def apply(
    platform: LocalPlatform, targets: Targets, probe: Probe, fault: Fault, options: ChaosOptions
) -> Outcome:
    """Kill every target of ``fault`` at once, wait, start them again (the broker and the
    database first, as a supervisor would), and measure until a fresh contact is offered."""
    outcome = Outcome(fault, killed_at=time.monotonic())
    for target in fault.targets:
        outcome.killed += await asyncio.to_thread(targets.kill, target)
    await asyncio.sleep(fault.down_seconds)
    order = sorted(
        fault.targets, key=lambda t: t not in INFRASTRUCTURE and not t.startswith("kafka-")
    )
    for target in order:
        await asyncio.to_thread(targets.restart, target)
    outcome.restarted_at = time.monotonic()
    if await all_ready(platform, options.ready_within * 2):
        outcome.ready_at = time.monotonic()
        routed = await probe.routed_after(options.routed_within * 6)
        if routed is not None:
            outcome.routed_at = time.monotonic()
    return outcome


async def all_ready(platform: LocalPlatform, timeout: float) -> bool:
    """Every service process answers ``/readyz`` with 200."""
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=3.0) as client:
        while time.monotonic() < deadline:
            ready = True
            for process in platform.services.values():
                try:
                    answer = await client.get(f"{process.url}/readyz")
                except httpx.TransportError:
                    ready = False
                    break
                if answer.status_code != 200:
                    ready = False
                    break
            if ready:
                return True
            await asyncio.sleep(0.25)
    return False


def describe(outcome: Outcome) -> str:
    recovery = "never" if outcome.recovery is None else f"{outcome.recovery:.1f} s"
    return (
        f"fault {outcome.fault.name} ({', '.join(outcome.killed)}): down {outcome.downtime:.1f} s, "
        f"routed again after {recovery}"
    )


async def all_events(bootstrap: str, settle: float = 4.0) -> list[Envelope[Any]]:
    """Every event on every Switchboard topic, read from the start until nothing new came
    for ``settle`` seconds."""
    envelopes: list[Envelope[Any]] = []
    feed = EventFeed(
        bootstrap, envelopes.append, topics=[t.name for t in ALL_TOPICS], from_start=True
    )
    await feed.start(timeout=60)
    try:
        seen, quiet_since = -1, time.monotonic()
        while time.monotonic() - quiet_since < settle:
            await asyncio.sleep(0.5)
            if len(envelopes) != seen:
                seen, quiet_since = len(envelopes), time.monotonic()
    finally:
        await feed.stop()
    return envelopes


async def dead_letters(bootstrap: str) -> dict[str, list[str]]:
    """Every dead-letter topic and the error type of each record on it."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    await consumer.start()
    try:
        topics = sorted(t for t in await consumer.topics() if t.startswith(DEAD_LETTER_PREFIX))
        found: dict[str, list[str]] = {topic: [] for topic in topics}
        if not topics:
            return found
        admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
        await admin.start()
        try:
            described = await admin.describe_topics(topics)
        finally:
            await admin.close()
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in described
            for partition in topic["partitions"]
        ]
        if not partitions:
            raise RuntimeError(f"dead-letter topics without partitions: {topics}")
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            positions = [await consumer.position(tp) for tp in partitions]
            if all(at >= ends[tp] for at, tp in zip(positions, partitions, strict=True)):
                break
            batch = await consumer.getmany(timeout_ms=500)
            for tp, records in batch.items():
                for record in records:
                    headers = dict(record.headers)
                    reason = headers.get("dlq-error-type", b"?").decode(errors="replace")
                    found[tp.topic].append(reason)
        return found
    finally:
        await consumer.stop()
