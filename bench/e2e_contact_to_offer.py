"""End to end, as users get it: a day-like stream of contacts through the whole platform,
from the adapter's POST to the case.offered event on Kafka.

The platform is started the way ``make up`` starts it (the launcher: a private Kafka broker,
a private PostgreSQL cluster, the four services migrated and served as processes, the demo
world's routing policies and escalation configuration). Agents in the four regions work the
offers they get over HTTP (accept after a think, or decline, or let the offer expire; reply;
resolve after a handle time; finish wrap-up) and customers answer a third of their surveys.
Contacts come on all four channels, signed as adapters sign them, as Poisson arrivals whose
rate swells to a peak and falls to a trough within each phase; agents are staffed for the
average, so queues form at the peak.

Each phase is paced open-loop for ``--seconds`` (at least 60) and runs ``--runs`` times
(median and spread). Measured per contact: POST → 202, and POST (its due time, so client
queueing counts) → the first case.offered record read by this process. A case offered as it
arrived measures the platform; one that waited for an agent to free up measures staffing,
and is shown apart with its wait. Baseline in the same run: plain Kafka produce → consume at
the same rate. Also: CPU per contact of every process over the whole life of the phase's
contacts (received, routed, clocked, replied, resolved, surveyed), and PostgreSQL
transactions and rows written per contact — the capacity model's inputs.
Target: POST → offer p50 < 50 ms and p99 < 250 ms at 200 contacts/s.

``--compare-kafka-nodes`` runs the same load twice in one go, on a one-node Kafka and then on
a three-node KRaft cluster (every topic 3 replicas, min.insync.replicas 2, the services'
acks=all producers), each platform started fresh, and prints p50/p99 of both and the
three-node/one-node ratios: what replication costs in latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
from case_watch import CaseWatch, kafka_round_trip
from day_traffic import DayTraffic
from load import HttpClient, LoadResult, open_loop
from process_cpu import postmaster_of, process_table, tree_cpu
from stats import Distribution, over_runs
from workforce import Workforce

from switchboard.launcher.databases import DatabaseKind
from switchboard.launcher.local_platform import LaunchOptions, LocalPlatform
from switchboard.launcher.processes import SERVICES
from switchboard.servicekit.auth import Role, TokenVerifier
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.devinfra.kafka import KafkaCluster
from switchboard.simulator.channels import CHANNELS, Adapter
from switchboard.simulator.scenario import REGIONS

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "deploy" / "demo"
JWT_SECRET = "bench-jwt-secret-of-the-four-services-0123456789abcdef"
TARGET_P50, TARGET_P99 = 0.050, 0.250
SURVEY_DELAY_SECONDS = 2.0


def load_text() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


class Bench:
    def __init__(self, args: argparse.Namespace, platform: LocalPlatform) -> None:
        self.args = args
        self.platform = platform
        self.tokens = TokenVerifier(JWT_SECRET, "switchboard")
        admin = self.tokens.issue(subject="bench", role=Role.ADMIN, ttl=timedelta(hours=6))
        self.admin = {"authorization": f"Bearer {admin}"}
        self.intake = HttpClient(platform.url("intake"))
        self.routing = HttpClient(platform.url("routing"), connections=64)
        self.feedback = HttpClient(platform.url("feedback"))
        self.workforce = Workforce(self.routing, self.tokens, seed=args.seed)

    async def idle_cpu(self, seconds: float) -> dict[str, float]:
        """CPU seconds per second each process spends with no traffic at all (polling loops,
        heartbeats): what a contact's share must not be charged with."""
        parts = self.parts()
        before = cpu_of(parts)
        await asyncio.sleep(seconds)
        after = cpu_of(parts)
        return {name: (after[name] - before[name]) / seconds for name in after}

    def parts(self) -> dict[str, int | None]:
        """The process trees whose CPU a contact costs."""
        found = {name: service.process.pid for name, service in self.platform.services.items()}
        broker = self.platform.broker
        assert broker is not None
        assert self.platform.cluster is not None
        if isinstance(broker, KafkaCluster):
            kafka = {f"Kafka node {node.node_id}": node.pid for node in broker.nodes}
        else:
            kafka = {"Kafka": broker.pid}
        return found | {"PostgreSQL": postmaster_of(self.platform.cluster.port)} | kafka

    async def register_adapters(self) -> dict[tuple[str, str], Adapter]:
        adapters = {}
        for region in REGIONS:
            for channel in CHANNELS:
                adapter_id = f"bench-{channel}-{region.name}"
                body = {"id": adapter_id, "channel": channel, "region": region.name}
                status, answer = await self.intake.post_json(
                    "/v1/admin/adapters", body, headers=self.admin
                )
                if status != 201:
                    raise RuntimeError(f"registering {adapter_id}: {status} {answer[:300]!r}")
                secret = json.loads(answer)["secret"]
                adapters[(channel, region.name)] = Adapter(adapter_id, channel, region.name, secret)
        return adapters

    async def database_writes(self) -> tuple[int, int]:
        """(transactions committed, rows inserted + updated + deleted) in the services'
        databases so far."""
        assert self.platform.cluster is not None
        connection = await asyncpg.connect(self.platform.cluster.url(driver="postgresql"))
        try:
            row = await connection.fetchrow(
                "SELECT sum(xact_commit) AS commits, "
                "sum(tup_inserted + tup_updated + tup_deleted) AS rows "
                "FROM pg_stat_database WHERE datname LIKE 'switchboard_%'"
            )
        finally:
            await connection.close()
        return int(row["commits"] or 0), int(row["rows"] or 0)

    async def analyze(self) -> None:
        """Statistics for the fresh tables, as any database in service has."""
        assert self.platform.cluster is not None
        for name in SERVICES:
            url = self.platform.cluster.url(f"switchboard_{name}", driver="postgresql")
            connection = await asyncpg.connect(url)
            try:
                await connection.execute("ANALYZE")
            finally:
                await connection.close()

    async def phase(
        self,
        watch: CaseWatch,
        traffic: DayTraffic,
        *,
        rate: float,
        seconds: float,
        idle: dict[str, float] | None = None,
    ) -> dict[str, Any]:
        start = time.time() + 3.0  # the client processes are up and waiting by then
        requests = traffic.phase(rate, seconds, start)
        parts = self.parts()
        cpu_before, writes_before = cpu_of(parts), await self.database_writes()
        own_before, window_began = time.process_time(), time.monotonic()
        load_before = load_text()
        result: LoadResult = await asyncio.to_thread(
            open_loop,
            f"{self.platform.url('intake')}/",
            requests,
            clients=self.args.clients,
            connections=self.args.connections,
        )
        accepted = {a.json()["case_id"]: a for a in result.answers if a.status == 202}
        cases = set(accepted)
        offered = await watch.until(cases, what="offered", limit=180)
        resolved = await watch.until(cases, what="resolved", limit=240, quiet=30)
        await asyncio.sleep(SURVEY_DELAY_SECONDS + 4)  # surveys requested and answered
        await self.workforce.drain(30)
        await asyncio.sleep(2)  # PostgreSQL's statistics are flushed within a second or so
        cpu_after, writes_after = cpu_of(parts), await self.database_writes()
        window = time.monotonic() - window_began
        contacts = max(len(accepted), 1)
        cpu_ms = {
            name: 1000
            * (cpu_after[name] - cpu_before[name] - (idle or {}).get(name, 0.0) * window)
            / contacts
            for name in cpu_after
        }
        cpu_ms["load generator"] = 1000 * result.client_cpu_seconds / contacts
        cpu_ms["agents and customers (this process)"] = (
            1000 * (time.process_time() - own_before) / contacts
        )
        on_arrival, waited, all_offers, breakdown = (
            [],
            [],
            [],
            {"relay": [], "consumer": [], "offer": []},
        )
        for case_id, answer in accepted.items():
            times = watch.cases.get(case_id)
            if times is None or times.offered is None:
                continue
            latency = times.offered.received - answer.due
            all_offers.append(latency)
            (on_arrival if times.on_arrival else waited).append(latency)
            if times.opened and times.queued:
                breakdown["relay"].append(times.opened.stamped - answer.answered)
                breakdown["consumer"].append(times.queued.stamped - times.opened.stamped)
                breakdown["offer"].append(times.offered.stamped - times.queued.stamped)
        span = max(a.answered for a in result.answers) - start if result.answers else seconds
        return {
            "rate": rate,
            "seconds": seconds,
            "posted": len(requests),
            "statuses": result.statuses(),
            "errors": result.errors,
            "abandoned": result.abandoned,
            "accepted": len(accepted),
            "achieved": len(accepted) / max(span, 1e-9),
            "offered": offered,
            "resolved": resolved,
            "to_202": [a.answered - a.due for a in accepted.values()],
            "on_arrival": on_arrival,
            "waited": waited,
            "all_offers": all_offers,
            "breakdown": breakdown,
            "cpu_ms": cpu_ms,
            "commits": (writes_after[0] - writes_before[0]) / contacts,
            "rows": (writes_after[1] - writes_before[1]) / contacts,
            "load_before": load_before,
            "load_after": load_text(),
        }


def cpu_of(parts: dict[str, int | None]) -> dict[str, float]:
    processes = process_table()
    return {name: tree_cpu(processes, pid) for name, pid in parts.items() if pid is not None}


def report_phase(label: str, phase: dict[str, Any]) -> None:
    print(f"\n== {label}: {phase['rate']:.0f} contacts/s on average for {phase['seconds']:.0f} s")
    print(f"   load before: {phase['load_before']}\n   load after:  {phase['load_after']}")
    errors = phase["errors"] or "none"
    print(
        f"   posted {phase['posted']}, statuses {phase['statuses']}, errors {errors},"
        f" unanswered {phase['abandoned']}; accepted {phase['accepted']} at "
        f"{phase['achieved']:.1f}/s; offered {phase['offered']}, resolved {phase['resolved']}"
    )
    steps = phase["breakdown"]
    rows = [
        ("POST → 202", phase["to_202"]),
        ("POST → offer, offered as it arrived", phase["on_arrival"]),
        ("POST → offer, waited for a free agent", phase["waited"]),
        ("POST → offer, all cases", phase["all_offers"]),
        ("  202 → case.opened on Kafka (intake's relay)", steps["relay"]),
        ("  case.opened → case.queued (routing's consumer)", steps["consumer"]),
        ("  case.queued → case.offered", steps["offer"]),
    ]
    for name, values in rows:
        print(f"   {name + ':':50} {Distribution.of(values).ms()}")
    cpu = phase["cpu_ms"]
    print(
        "   CPU per contact, over its whole life (idle CPU not counted): "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())
        + f"; all {sum(cpu.values()):.1f} ms"
    )
    print(
        f"   PostgreSQL per contact: {phase['commits']:.1f} transactions, "
        f"{phase['rows']:.1f} rows written"
    )


def report_runs(runs: list[dict[str, Any]], baseline: list[list[float]], rate: float) -> bool:
    p50 = [Distribution.of(run["on_arrival"]).p50 * 1000 for run in runs]
    p99 = [Distribution.of(run["on_arrival"]).p99 * 1000 for run in runs]
    print(f"\n== over {len(runs)} runs at {rate:.0f} contacts/s")
    print(f"   accepted per second: {over_runs([run['achieved'] for run in runs])}")
    print(f"   POST → offer (offered as it arrived) p50: {over_runs(p50, ' ms')}")
    print(f"   POST → offer (offered as it arrived) p99: {over_runs(p99, ' ms')}")
    all99 = [Distribution.of(run["all_offers"]).p99 * 1000 for run in runs]
    print(f"   POST → offer (all cases, queue waits included) p99: {over_runs(all99, ' ms')}")
    b50 = [Distribution.of(b).p50 * 1000 for b in baseline]
    b99 = [Distribution.of(b).p99 * 1000 for b in baseline]
    print(f"   baseline, Kafka produce → consume at {rate:.0f}/s:")
    print(f"     p50 {over_runs(b50, ' ms')}; p99 {over_runs(b99, ' ms')}")
    cpu: dict[str, list[float]] = {}
    for run in runs:
        for name, ms in run["cpu_ms"].items():
            cpu.setdefault(name, []).append(ms)
    print(
        "   CPU per contact (median over runs): "
        + ", ".join(
            f"{name} {sorted(values)[len(values) // 2]:.2f} ms" for name, values in cpu.items()
        )
    )
    total = sorted(sum(run["cpu_ms"].values()) for run in runs)[len(runs) // 2]
    cores = os.cpu_count() or 1
    print(
        f"   the whole platform and its load: {total:.1f} ms CPU per contact → at most "
        f"~{cores * 1000 / total:.0f} contacts/s on these {cores} cores"
    )
    sustained = min(run["achieved"] for run in runs) >= 0.9 * rate
    met = (
        sustained
        and sorted(p50)[len(p50) // 2] < TARGET_P50 * 1000
        and sorted(p99)[len(p99) // 2] < TARGET_P99 * 1000
    )
    print(
        f"   target p50 < 50 ms and p99 < 250 ms at {rate:.0f} contacts/s: "
        + ("✓" if met else "✗" + ("" if sustained else " (the rate was not sustained)"))
    )
    return met


async def bench(args: argparse.Namespace, *, kafka_nodes: int = 1) -> dict[str, Any]:
    """One platform (``kafka_nodes`` Kafka nodes) started, measured, stopped: the runs and
    the baseline."""
    with tempfile.TemporaryDirectory(prefix="bench-e2e-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data dir
        options = LaunchOptions(
            data_dir=workdir / "platform",
            ports={name: free_port() for name in SERVICES},
            kafka_port=free_port(),
            database=DatabaseKind.POSTGRES,
            postgres_port=free_port(),
            routing_policies=DEMO / "routing-policies.yaml",
            escalation_config=DEMO / "escalation.yaml",
            survey_delay_seconds=SURVEY_DELAY_SECONDS,
            jwt_secret=JWT_SECRET,
            overrides={name: {"LOG_LEVEL": "WARNING"} for name in SERVICES},
            base_env={k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")},
            kafka_nodes=kafka_nodes,
        )
        platform = LocalPlatform(options)
        began = time.monotonic()
        try:
            await asyncio.to_thread(platform.start)
            print(
                f"platform ({kafka_nodes} Kafka node(s)) ready in "
                f"{time.monotonic() - began:.1f} s ({load_text()})",
                flush=True,
            )
            return await run(args, platform)
        finally:
            await asyncio.to_thread(platform.stop)


async def run(args: argparse.Namespace, platform: LocalPlatform) -> dict[str, Any]:
    bench = Bench(args, platform)
    adapters = await bench.register_adapters()
    agents = await bench.workforce.hire(args.rate, run_id="e2e")
    print(f"{len(adapters)} adapters, {agents} agents in {len(REGIONS)} regions", flush=True)
    traffic = DayTraffic(f"{platform.url('intake')}", adapters, seed=args.seed)
    assert platform.broker is not None
    baseline = []
    for _ in range(args.runs):
        baseline.append(await kafka_round_trip(platform.broker.bootstrap_servers, args.rate, 5))
    async with CaseWatch(platform.kafka_bootstrap, bench.workforce, bench.feedback) as watch:
        warm = await bench.phase(watch, traffic, rate=max(args.rate / 10, 2), seconds=args.warmup)
        print(f"warm-up: {warm['accepted']} accepted, {warm['offered']} offered", flush=True)
        await bench.analyze()
        idle = await bench.idle_cpu(args.idle)
        print(
            "idle CPU (ms per second, no traffic): "
            + ", ".join(f"{name} {1000 * rate:.0f}" for name, rate in idle.items()),
            flush=True,
        )
        runs = []
        for number in range(1, args.runs + 1):
            phase = await bench.phase(
                watch, traffic, rate=args.rate, seconds=args.seconds, idle=idle
            )
            report_phase(f"run {number} of {args.runs}", phase)
            runs.append(phase)
        failures = dict(bench.workforce.failures) or "none"
        print(f"\nagents' actions: {dict(bench.workforce.actions)}; failures: {failures}")
        print(f"events seen: {dict(watch.counts)}")
    report_runs(runs, baseline, args.rate)
    if any(run["accepted"] == 0 or run["offered"] == 0 for run in runs):
        raise RuntimeError("a phase had no accepted or no offered contact")
    dead = platform.dead_services()
    if dead:
        raise RuntimeError(f"services died during the run: {dead}\n{platform.tails()}")
    return {"runs": runs, "baseline": baseline}


def latency_ms(measured: dict[str, Any]) -> dict[str, float]:
    """Median over runs of each run's p50 and p99: POST → offer of cases offered as they
    arrived, and the Kafka produce → consume baseline."""

    def median(values: list[float]) -> float:
        return sorted(values)[len(values) // 2]

    offers = [Distribution.of(run["on_arrival"]) for run in measured["runs"]]
    kafka = [Distribution.of(b) for b in measured["baseline"]]
    return {
        "offer p50": 1000 * median([d.p50 for d in offers]),
        "offer p99": 1000 * median([d.p99 for d in offers]),
        "kafka p50": 1000 * median([d.p50 for d in kafka]),
        "kafka p99": 1000 * median([d.p99 for d in kafka]),
    }


async def compare_kafka_nodes(args: argparse.Namespace) -> None:
    measured = {}
    for nodes in (1, 3):
        print(f"\n######## {nodes} Kafka node(s)", flush=True)
        measured[nodes] = latency_ms(await bench(args, kafka_nodes=nodes))
    one, three = measured[1], measured[3]
    print(
        f"\n== one Kafka node vs three (RF 3, min.insync.replicas 2, acks=all) at "
        f"{args.rate:.0f} contacts/s, {args.runs} run(s) of {args.seconds:.0f} s each, one process"
    )
    print(f"   {'':36} {'1 node':>10} {'3 nodes':>10} {'3 / 1':>8}")
    labels = {
        "offer p50": "POST → offer (on arrival) p50",
        "offer p99": "POST → offer (on arrival) p99",
        "kafka p50": "Kafka produce → consume p50",
        "kafka p99": "Kafka produce → consume p99",
    }
    for key, label in labels.items():
        ratio = three[key] / one[key] if one[key] else float("nan")
        print(f"   {label:36} {one[key]:8.1f} ms {three[key]:7.1f} ms {ratio:7.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="average contacts per second")
    parser.add_argument("--seconds", type=float, default=60.0, help="length of a phase")
    parser.add_argument("--runs", type=int, default=3, help="repetitions of the phase")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds of warm-up")
    parser.add_argument("--idle", type=float, default=10.0, help="seconds of idle CPU measured")
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument("--connections", type=int, default=64, help="to intake, in all")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    parser.add_argument(
        "--compare-kafka-nodes",
        action="store_true",
        help="the same load on one Kafka node, then on three (RF 3): latencies and ratios",
    )
    args = parser.parse_args()
    if args.smoke:
        args.rate, args.seconds, args.runs, args.warmup, args.idle = 8.0, 6.0, 1, 2.0, 2.0
    print(f"cpus: {os.cpu_count()}; {load_text()}", flush=True)
    try:
        asyncio.run(compare_kafka_nodes(args) if args.compare_kafka_nodes else bench(args))
    except Exception as error:
        print(f"RESULT e2e_contact_to_offer: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    print("RESULT e2e_contact_to_offer: ok")


if __name__ == "__main__":
    sys.exit(main())
