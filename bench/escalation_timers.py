"""SLA timers of one escalation replica, as production runs it, measured on Kafka.

The replica is ``switchboard-escalation serve`` (servicekit's ``assemble(DEFINITION,
settings)``: the consumer, the timer poller with the service's batch handler for SLA
clocks, the outbox relay to a real Kafka broker, the webhook sender and live feed), started
by the local launcher's process wrapper with production settings; the only setting the
bench gives besides where its database and broker are is its configuration file (SLA and
escalation policies, calendars, coordinators), as compose does.

Open SLA clocks (cases, clocks and their timers, in the rows the service writes) are
loaded in bulk; then, ``--rounds`` times:
(a) burst: ``--burst`` first-response clocks fall due at the same instant, a third at
    each threshold (50 % and 75 % warnings, the breach, which raises an escalation as the
    policy says): timers fired per second, counted from the SlaWarned/SlaBreached events
    read back from Kafka (events / time from the due instant to the last event);
(b) steady: ``--rate`` clocks fall due per second for ``--steady-seconds``: lag from each
    clock's due time to its event read back from Kafka (p50, p99).
Baseline, same run, same replica: the relay alone publishing as many ready-made SLA events
written straight into the outbox (events / time from the first to the last on Kafka).
Targets: (a) ≥ 5,000 fired/s; (b) p99 < 1 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from infra import Infra, infrastructure
from process_cpu import postmaster_of, process_table, tree_cpu
from stats import Distribution, over_runs, ratio

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import SlaBreached
from switchboard.contracts.events.common import Channel, Priority
from switchboard.contracts.events.sla import SlaMetric
from switchboard.contracts.topics import ESCALATIONS, SLA
from switchboard.escalation.bootstrap import DEFINITION
from switchboard.launcher.processes import ServiceProcess, stop_all, wait_ready
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.outbox import lane_of

NAME = "escalation_timers"
REGIONS = ("nordics", "dach", "france", "poland")
CHANNELS = ("email", "chat", "phone", "social")
FIRST_RESPONSE, RESOLUTION = timedelta(hours=1), timedelta(days=1)
THRESHOLDS = (0.5, 0.75, 1.0)
CONFIG = """
calendars:
  nordics: {timezone: Europe/Stockholm}
  dach: {timezone: Europe/Berlin}
  france: {timezone: Europe/Paris}
  poland: {timezone: Europe/Warsaw}
sla_policies:
  - name: standard
    targets: {first_response: 1h, next_response: 2h, resolution: 1d}
    warnings: [0.5, 0.75]
    escalation_policy: regional
escalation_policies:
  - name: regional
    levels:
      - {name: regional coordinator, targets: ["role:coordinator"], acknowledge_within: 10m}
      - {name: manager, targets: ["role:manager"], acknowledge_within: 30m}
coordinators:
  - {id: nils, name: Nils, regions: [nordics], roles: [coordinator]}
  - {id: greta, name: Greta, regions: [dach], roles: [coordinator]}
  - {id: camille, name: Camille, regions: [france], roles: [coordinator]}
  - {id: zofia, name: Zofia, regions: [poland], roles: [coordinator]}
  - {id: marek, name: Marek, regions: [nordics, dach, france, poland], roles: [manager]}
"""
SLA_EVENTS = {b"switchboard.sla.warned", b"switchboard.sla.breached"}
RAISED = b"switchboard.escalation.raised"


# ---------------------------------------------------------------- loading open clocks


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


CASE_COLUMNS = [
    "case_id",
    "customer_id",
    "region",
    "channel",
    "priority",
    "customer_tier",
    "vip",
    "sla_policy",
    "agent_id",
    "team",
    "status",
    "first_responded_at",
]
CLOCK_COLUMNS = [
    "clock_id",
    "case_id",
    "metric",
    "policy",
    "region",
    "target_seconds",
    "thresholds",
    "escalate_at",
    "fired",
    "state",
    "accumulated_seconds",
    "running_since",
    "completed_at",
    "started_at",
]
TIMER_COLUMNS = ["kind", "key", "due_at", "payload", "attempts", "last_error", "dead_at", "trace"]


async def load_cases(dsn: str, prefix: str, due: Sequence[datetime]) -> None:
    """One open case per due time, as escalation keeps it after CaseOpened: a first-response
    clock due then (at a warning or the breach, a third each) and a resolution clock."""
    cases, clocks, timers = [], [], []
    for index, due_at in enumerate(due):
        case_id = f"{prefix}-{index}"
        stage = index % len(THRESHOLDS)
        started = due_at - FIRST_RESPONSE * THRESHOLDS[stage]
        region = REGIONS[index % len(REGIONS)]
        cases.append(
            (
                case_id,
                f"cust-{case_id}",
                region,
                CHANNELS[index % 4],
                3,
                None,
                False,
                "standard",
                f"agent-{index % 500}",
                "team-1",
                "open",
                None,
            )
        )
        for metric, target, fired in (
            ("first_response", FIRST_RESPONSE, list(THRESHOLDS[:stage])),
            ("resolution", RESOLUTION, []),
        ):
            clock_id = f"{case_id}-{metric}"
            clocks.append(
                (
                    clock_id,
                    case_id,
                    metric,
                    "standard",
                    region,
                    target.total_seconds(),
                    json.dumps(THRESHOLDS),
                    "[1.0]",
                    json.dumps(fired),
                    "running",
                    0.0,
                    started,
                    None,
                    started,
                )
            )
            first_open = THRESHOLDS[len(fired)]
            timers.append(("sla-clock", clock_id, started + target * first_open, "{}", 0))
    connection = await asyncpg.connect(dsn)
    try:
        async with connection.transaction():
            await connection.copy_records_to_table("esc_cases", records=cases, columns=CASE_COLUMNS)
            await connection.copy_records_to_table(
                "esc_sla_clocks", records=clocks, columns=CLOCK_COLUMNS
            )
            await connection.copy_records_to_table(
                "sk_timers",
                records=[(*t, None, None, None) for t in timers],
                columns=TIMER_COLUMNS,
            )
    finally:
        await connection.close()


async def load_idle_cases(dsn: str, count: int) -> None:
    """Open cases whose clocks fall due later (from one to eleven hours from now)."""
    now = datetime.now(UTC)
    chunk = 50_000
    for start in range(0, count, chunk):
        due = [
            now + timedelta(hours=1, seconds=(i * 7919) % 36_000)
            for i in range(start, min(count, start + chunk))
        ]
        await load_cases(dsn, f"idle{start}", due)
    connection = await asyncpg.connect(dsn)
    try:
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()


async def write_outbox(dsn: str, prefix: str, count: int) -> None:
    """Ready-made SlaBreached events straight into the outbox, as the handler writes them."""
    now = datetime.now(UTC)
    rows = []
    for index in range(count):
        event = SlaBreached(
            clock_id=f"{prefix}-{index}-first_response",
            case_id=f"{prefix}-case-{index}",
            metric=SlaMetric.FIRST_RESPONSE,
            policy_id="standard",
            target_seconds=3600.0,
            elapsed_seconds=3600.0,
            due_at=now,
            region=REGIONS[index % 4],
            channel=Channel.EMAIL,
            priority=Priority(3),
            agent_id="agent-1",
            team="team-1",
            breached_at=now,
        )
        envelope = Envelope(data=event, source="/switchboard/escalation")
        record = encode(envelope)
        headers = json.dumps([[k, v.decode()] for k, v in record.headers])
        rows.append(
            (
                envelope.id,
                lane_of(envelope.key),
                record.topic,
                envelope.key,
                envelope.type,
                headers,
                record.value,
                now,
            )
        )
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "sk_outbox",
            records=rows,
            columns=[
                "event_id",
                "lane",
                "topic",
                "key",
                "event_type",
                "headers",
                "payload",
                "created_at",
            ],
        )
    finally:
        await connection.close()


# ---------------------------------------------------------------- reading Kafka


@dataclass
class KafkaWatch:
    """Every SLA warning/breach and escalation raised that reaches Kafka, with when the
    bench read it (wall clock) and, for SLA events, the clock's due time."""

    bootstrap: str
    sla: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    """Clock-id prefix (a phase) -> (received, due) per event."""
    raised: int = 0
    _task: asyncio.Task[None] | None = None
    _consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            topics = await admin.describe_topics([SLA.name, ESCALATIONS.name])
        finally:
            await admin.close()
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in topics
            for partition in topic["partitions"]
        ]
        consumer = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False)
        await consumer.start()
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for partition in partitions:  # positions fixed before anything can fall due
            await consumer.position(partition)
        self._consumer = consumer
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self._consumer is not None
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            received = time.time()
            for records in batches.values():
                for record in records:
                    kind = next((v for k, v in record.headers if k == "ce_type"), b"")
                    if kind == RAISED:
                        self.raised += 1
                    elif kind in SLA_EVENTS:
                        data = json.loads(record.value)
                        phase = data["clock_id"].rsplit("-", 2)[0]
                        due = datetime.fromisoformat(data["due_at"]).timestamp()
                        self.sla.setdefault(phase, []).append((received, due))

    def seen(self, phase: str) -> list[tuple[float, float]]:
        return self.sla.get(phase, [])

    async def wait_for(self, phase: str, count: int, *, quiet_seconds: float) -> None:
        """Until ``count`` events of the phase arrived, or none for ``quiet_seconds``."""
        last, last_change = -1, time.monotonic()
        while len(self.seen(phase)) < count:
            if self._task is not None and self._task.done():
                self._task.result()
            if len(self.seen(phase)) != last:
                last, last_change = len(self.seen(phase)), time.monotonic()
            elif time.monotonic() - last_change > quiet_seconds:
                return
            await asyncio.sleep(0.1)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._consumer is not None:
            await self._consumer.stop()


# ---------------------------------------------------------------- the replica


def replica(infra: Infra, url: str) -> ServiceProcess:
    config = infra.workdir / "escalation.yaml"
    config.write_text(CONFIG)
    settings = {
        "DATABASE_URL": url,
        "ENVIRONMENT": "production",
        "JWT_SECRET": secrets.token_urlsafe(48),
        "CONFIG_FILE": str(config),
    }
    return infra.service("escalation", settings, log="esc.log")


@dataclass
class Cpu:
    """CPU seconds of the replica and of PostgreSQL over a phase."""

    pids: dict[str, int | None]
    before: dict[str, float] = field(default_factory=dict)

    def start(self) -> None:
        table = process_table()
        self.before = {k: tree_cpu(table, p) if p else 0.0 for k, p in self.pids.items()}

    def spent(self) -> dict[str, float]:
        table = process_table()
        return {
            k: (tree_cpu(table, p) if p else 0.0) - self.before[k] for k, p in self.pids.items()
        }


# ---------------------------------------------------------------- the phases


@dataclass
class Round:
    fired_per_second: float
    burst_events: int
    burst_lag: Distribution
    steady_lag: Distribution
    steady_events: int
    cpu_ms_per_timer: dict[str, float]


async def burst(watch: KafkaWatch, dsn: str, args: argparse.Namespace, index: int, cpu: Cpu):
    phase = f"r{index}burst"
    due = datetime.now(UTC) + timedelta(seconds=args.lead_seconds)
    began = time.perf_counter()
    await load_cases(dsn, phase, [due] * args.burst)
    loaded_in = time.perf_counter() - began
    # The timers exist once their rows committed: when loading ran past the due instant
    # (a busy machine), the replica's time starts then, not at the due instant.
    start = max(due.timestamp(), time.time())
    if loaded_in >= args.lead_seconds:
        print(
            f"  (loading the burst took {loaded_in:.1f} s, past its due time: rate counted "
            f"from the commit, {start - due.timestamp():.1f} s after it)"
        )
    await asyncio.sleep(max(0.0, due.timestamp() - time.time()))
    cpu.start()
    await watch.wait_for(phase, args.burst, quiet_seconds=args.quiet_seconds)
    spent = cpu.spent()
    seen = watch.seen(phase)
    last = max((received for received, _ in seen), default=start)
    rate = len(seen) / max(last - start, 1e-9)
    lags = [received - due_at for received, due_at in seen]
    per_timer = {k: 1000 * v / max(len(seen), 1) for k, v in spent.items()}
    return rate, len(seen), Distribution.of(lags), per_timer


async def steady(watch: KafkaWatch, dsn: str, args: argparse.Namespace, index: int):
    phase = f"r{index}steady"
    count = int(args.rate * args.steady_seconds)
    first = datetime.now(UTC) + timedelta(seconds=args.lead_seconds)
    due = [first + timedelta(seconds=i / args.rate) for i in range(count)]
    await load_cases(dsn, phase, due)
    await asyncio.sleep(max(0.0, due[-1].timestamp() - time.time()))
    await watch.wait_for(phase, count, quiet_seconds=args.quiet_seconds)
    lags = [received - due_at for received, due_at in watch.seen(phase)]
    return len(lags), Distribution.of(lags)


async def relay_baseline(watch: KafkaWatch, dsn: str, count: int, quiet: float) -> float:
    await write_outbox(dsn, "relayonly", count)
    await watch.wait_for("relayonly", count, quiet_seconds=quiet)
    received = sorted(r for r, _ in watch.seen("relayonly"))
    if len(received) < 2:
        return 0.0
    return (len(received) - 1) / max(received[-1] - received[0], 1e-9)


async def leftovers(dsn: str) -> str:
    connection = await asyncpg.connect(dsn)
    try:
        timers = await connection.fetchrow(
            "SELECT count(*) FILTER (WHERE attempts > 0) AS retried,"
            " count(*) FILTER (WHERE dead_at IS NOT NULL) AS dead,"
            " count(*) FILTER (WHERE due_at <= now()) AS overdue FROM sk_timers"
        )
        outbox = await connection.fetchval("SELECT count(*) FROM sk_outbox")
        escalations = await connection.fetchval("SELECT count(*) FROM esc_escalations")
    finally:
        await connection.close()
    return (
        f"timers retried {timers['retried']}, dead {timers['dead']}, overdue "
        f"{timers['overdue']}; outbox rows left {outbox}; escalations raised {escalations:,}"
    )


async def measure(infra: Infra, args: argparse.Namespace) -> list[str]:
    """Runs every phase; returns what failed (empty: measured)."""
    url = infra.database("escalation")
    dsn = asyncpg_dsn(url)
    schema = DEFINITION.migrations
    await migrate(url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    began = time.perf_counter()
    await load_idle_cases(dsn, args.clocks // 2)
    print(
        f"loaded {args.clocks // 2 * 2:,} open SLA clocks ({args.clocks // 2:,} cases) with "
        f"their timers in {time.perf_counter() - began:.1f} s"
    )

    service = replica(infra, url)
    service.start(args.replica_bin or Path(sys.executable).parent)
    watch = KafkaWatch(infra.bootstrap)
    try:
        started = time.perf_counter()
        await asyncio.to_thread(wait_ready, [service], 120)
        assert service.process is not None
        print(f"replica ready in {time.perf_counter() - started:.1f} s (pid {service.process.pid})")
        await watch.start()
        cpu = Cpu({"replica": service.process.pid, "postgres": _postgres_pid(infra)})
        rounds = []
        for index in range(args.rounds):
            rate, fired, burst_lag, per_timer = await burst(watch, dsn, args, index, cpu)
            print(
                f"round {index + 1}: (a) burst of {args.burst:,}: {fired:,} events on Kafka at "
                f"{rate:,.0f} fired/s; lag {burst_lag.ms()}"
            )
            steady_events, steady_lag = await steady(watch, dsn, args, index)
            print(
                f"         (b) steady {args.rate:,}/s for {args.steady_seconds:g} s: "
                f"lag {steady_lag.ms()}"
            )
            rounds.append(Round(rate, fired, burst_lag, steady_lag, steady_events, per_timer))
        baseline = await relay_baseline(watch, dsn, args.burst, args.quiet_seconds)
        print(f"    {await leftovers(dsn)}; escalations raised on Kafka {watch.raised:,}")
        if errors := service.errors():
            print(f"    the replica logged errors:\n{errors}")
    finally:
        await watch.stop()
        await asyncio.to_thread(stop_all, [service])
    return report(rounds, baseline, args)


def _postgres_pid(infra: Infra) -> int | None:
    port = infra.postgres_port
    return postmaster_of(port) if port is not None else None


def report(rounds: list[Round], baseline: float, args: argparse.Namespace) -> list[str]:
    rates = [r.fired_per_second for r in rounds]
    p50s = [r.steady_lag.p50 * 1000 for r in rounds]
    p99s = [r.steady_lag.p99 * 1000 for r in rounds]
    median_rate = sorted(rates)[len(rates) // 2]
    median_p99 = sorted(p99s)[len(p99s) // 2]
    cpu = {k: [r.cpu_ms_per_timer[k] for r in rounds] for k in rounds[0].cpu_ms_per_timer}
    print()
    print(f"(a) timers fired to Kafka, burst of {args.burst:,}: {over_runs(rates, '/s', 0)}")
    print(
        f"    baseline, the relay alone publishing {args.burst:,} ready-made SLA events: "
        f"{baseline:,.0f}/s; timers reach {ratio(median_rate, baseline)} of it"
    )
    print(
        "    CPU per timer fired: "
        + "; ".join(f"{k} {over_runs(v, ' ms', 2)}" for k, v in cpu.items())
    )
    print(f"(b) steady {args.rate:,}/s, due → on Kafka: p50 {over_runs(p50s, ' ms', 0)}")
    print(f"                              p99 {over_runs(p99s, ' ms', 0)}")
    print(f"load average {os.getloadavg()} on {os.cpu_count()} CPUs")
    failed = []
    for r in rounds:
        if r.burst_events < args.burst or r.steady_events < args.rate * args.steady_seconds:
            failed.append("events missing on Kafka")
        if not r.fired_per_second > 0 or not r.steady_lag.p99 > 0:
            failed.append("no rate or lag measured")
    if not baseline > 0:
        failed.append("no relay baseline measured")
    if not args.smoke:
        print(f"target ≥ 5,000 fired/s: {mark(median_rate >= 5000)}")
        print(f"target steady lag p99 < 1,000 ms: {mark(median_p99 < 1000)}")
    return sorted(set(failed))


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


async def main(args: argparse.Namespace) -> int:
    try:
        with infrastructure(prefix="bench-escalation-") as infra:
            failed = await measure(infra, args)
    except Exception as error:  # the run could not measure: say why, fail
        print(f"RESULT {NAME}: failed {type(error).__name__}: {error}")
        raise
    if failed:
        print(f"RESULT {NAME}: failed {'; '.join(failed)}")
        return 1
    print(f"RESULT {NAME}: ok")
    return 0


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, checks no targets")
    parser.add_argument("--clocks", type=int, default=200_000, help="open clocks loaded first")
    parser.add_argument("--burst", type=int, default=50_000, help="clocks due at once")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rate", type=float, default=1_000, help="steady clocks due per second")
    parser.add_argument("--steady-seconds", type=float, default=20)
    parser.add_argument("--lead-seconds", type=float, default=3.0)
    parser.add_argument("--quiet-seconds", type=float, default=15.0)
    parser.add_argument(
        "--replica-bin",
        type=Path,
        help="where the replica's switchboard-escalation comes from (default: this venv's); "
        "e.g. a wrapper that profiles it",
    )
    args = parser.parse_args()
    if args.smoke:
        args.clocks, args.burst, args.rounds = 2_000, 600, 1
        args.rate, args.steady_seconds, args.quiet_seconds = 100, 2, 10
    return args


if __name__ == "__main__":
    sys.exit(asyncio.run(main(arguments())))
