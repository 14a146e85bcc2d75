"""Routing's real offer path through PostgreSQL, as production runs it: offers committed per
second with one and with two replicas, the offer events arriving on Kafka, the resident
memory of the index per 10,000 waiting cases and the time to rebuild it after a restart.

Each replica is ``switchboard-routing serve`` (``assemble(DEFINITION, settings)``: the offer
loop, its index, the offer writer, the outbox relay to Kafka, the consumer and the timer
poller), on a private PostgreSQL and Kafka broker; two replicas share one database and one
consumer group, and share out the pools as they do in production. The cases wait as
``queue_opened_cases`` leaves them (rows at step 0 of the policy in force, stamped with a
revision); the policy is one catch-all step with a one-hour offer time-out (no offer
expires during the run, so every offer counts once).

- **Offers/s**: each round, ``--agents`` agents log in at once with free slots (their rows
  written in one transaction, stamped with a revision, as the directory writes them);
  the replicas read them on their next sync, decide and commit the offers (case offered,
  agent's load, offer row, offer timer, the CaseOffered and AgentLoadChanged events in the
  outbox), and the relay publishes them. Measured from the agents' commit to the last
  offer committed (the count of offer rows, polled every 50 ms) and to the last
  CaseOffered received from Kafka. A warm-up round first; ``--rounds`` measured.
- **Baseline** (same run, same rows): the same writes set-based over asyncpg, one
  transaction per ``offers_per_transaction`` offers (cases and agents locked in key order,
  cases and agents updated, offer rows, outbox rows with payloads of the same size, offer
  timers, the revision counter), decided in advance: the floor of committing those offers
  on this database, with no index, no ORM and no relay.
- **Memory**: resident memory (VmRSS) of a replica once it has indexed ``--index-cases``
  waiting cases, less that of a replica over an empty queue; per 10,000 cases.
- **Rebuild**: a replica restarted over ``--index-cases`` waiting cases: from the process
  start to ``/readyz`` and to its first offer committed (a probe agent logged in before the
  start: the first offer needs the whole index read).

Targets (issue 13): ≥ 20,000 offers/s (committed); p99 < 1 ms per decision is the
routing_engine benchmark's. The machine is shared: PostgreSQL, Kafka, the replicas and this
script share its cores.

    .venv/bin/python bench/routing_offers.py [--agents 2000 --rounds 3 --index-cases 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer
from infra import Infra, infrastructure
from process_cpu import postmaster_of, process_table, tree_cpu
from stats import over_runs, ratio

from switchboard.contracts.events import CaseOffered
from switchboard.contracts.topics import ASSIGNMENTS
from switchboard.launcher.processes import migrate_all
from switchboard.routing.adapters.orm import AgentRow, CaseRow

NAME = "routing_offers"
VENV_BIN = Path(sys.executable).parent
TARGET_RATE = 20_000
CAPACITY = {"chat": 3, "email": 2}  # phone blocks every other channel: left out
SLOTS = sum(CAPACITY.values())
LANGUAGES = ["da", "fr", "fi", "pl", "no"]
DEPARTMENTS = ["billing", "tech", "sales", "returns", "claims"]
POLICY = {"policies": [{"name": "all", "when": "true", "steps": [], "offer_timeout": "1h"}]}
OFFERS_PER_TRANSACTION = 100  # routing's default (settings.offers_per_transaction)
OFFERED = CaseOffered.event_type.encode()


def plain(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


# -- the replicas ------------------------------------------------------------------------


@dataclass
class Replica:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    began: float

    def rss_mib(self) -> tuple[float, float]:
        """(VmRSS, VmHWM) of the replica's process in MiB."""
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024

    async def ready(self, timeout: float) -> float:
        """Seconds from the process start until ``/readyz`` answers 200."""
        async with httpx.AsyncClient(timeout=2.0) as client:
            while True:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
                with contextlib.suppress(httpx.TransportError):
                    answer = await client.get(f"http://127.0.0.1:{self.port}/readyz")
                    if answer.status_code == 200:
                        return time.perf_counter() - self.began
                if time.perf_counter() - self.began > timeout:
                    raise RuntimeError(f"{self.name} not ready in {timeout:.0f} s")
                await asyncio.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_replica(infra: Infra, database_url: str, name: str, policies: Path) -> Replica:
    settings = {
        "DATABASE_URL": database_url,
        "CONSUMER_GROUP": "routing",
        "REPLICA_NAME": name,
        "POLICIES_FILE": str(policies),
        "LOG_LEVEL": "WARNING",
    }
    service = infra.service("routing", settings, log=f"{name}.log")
    began = time.perf_counter()
    service.start(VENV_BIN)
    assert service.process is not None
    return Replica(name, service.port, service.process, service.log_path, began)


def migrate(infra: Infra, database_url: str) -> None:
    settings = {"DATABASE_URL": database_url, "LOG_LEVEL": "WARNING"}
    migrate_all([infra.service("routing", settings, log="migrate.log")], VENV_BIN)


# -- rows as routing's use cases leave them --------------------------------------------


CASE_COLUMNS = [column.name for column in CaseRow.__table__.columns]
AGENT_COLUMNS = [column.name for column in AgentRow.__table__.columns]


async def next_revision(connection: asyncpg.Connection) -> int:
    """Take the transaction's revision as routing's session hooks do."""
    return int(
        await connection.fetchval(
            "UPDATE routing_revision SET value = value + 1 WHERE id = 1 RETURNING value"
        )
    )


def case_record(number: int, pool: str, channel: str, at: datetime, revision: int) -> tuple:
    """A case as ``queue_opened_cases`` leaves it: waiting at step 0 of the policy in force."""
    row: dict[str, Any] = dict.fromkeys(CASE_COLUMNS)
    row.update(
        case_id=f"case-{number}",
        customer_id=f"customer-{number}",
        region=pool,
        department=DEPARTMENTS[number % len(DEPARTMENTS)],
        channel=channel,
        language=LANGUAGES[number % len(LANGUAGES)],
        priority=(3, 3, 3, 2, 4, 1)[number % 6],
        pool=pool,
        policy="all",
        step=0,
        step_started_at=at,
        opened_at=at,
        enqueued_at=at,
        excluded_agents="[]",
        state="waiting",
        transfers=0,
        reopens=0,
        revision=revision,
    )
    return tuple(row[column] for column in CASE_COLUMNS)


def agent_record(agent_id: str, pool: str, at: datetime, revision: int, capacity: dict) -> tuple:
    """An agent as the directory and presence leave it: logged in, available, no load."""
    row = {
        "id": agent_id,
        "region": pool,
        "team": "team-1",
        "pools": json.dumps([pool]),
        "skills": json.dumps({"billing": 5}),
        "languages": json.dumps(LANGUAGES[:2]),
        "capacity": json.dumps(capacity),
        "load": "{}",
        "presence": "available",
        "idle_since": at,
        "revision": revision,
    }
    return tuple(row[column] for column in AGENT_COLUMNS)


async def add_cases(url: str, counts: dict[tuple[str, str], int], first: int = 0) -> int:
    """Waiting cases, ``counts[(pool, channel)]`` of each, interleaved; returns how many."""
    connection = await asyncpg.connect(plain(url))
    try:
        at = datetime.now(UTC) - timedelta(minutes=5)
        remaining = dict(counts)
        number = first
        chunk: list[tuple] = []
        async with connection.transaction():
            revision = await next_revision(connection)
            while remaining:
                for key in list(remaining):
                    pool, channel = key
                    chunk.append(
                        case_record(
                            number, pool, channel, at + timedelta(microseconds=number), revision
                        )
                    )
                    number += 1
                    remaining[key] -= 1
                    if not remaining[key]:
                        del remaining[key]
                if len(chunk) >= 50_000 or not remaining:
                    await connection.copy_records_to_table(
                        "routing_cases", records=chunk, columns=CASE_COLUMNS
                    )
                    chunk = []
        await connection.execute("ANALYZE routing_cases")
        return number - first
    finally:
        await connection.close()


async def log_in(url: str, agents: list[tuple[str, str]], capacity: dict) -> float:
    """Agents (id, pool) log in with free slots, in one transaction; its commit instant."""
    connection = await asyncpg.connect(plain(url))
    try:
        async with connection.transaction():
            revision = await next_revision(connection)
            at = datetime.now(UTC)
            await connection.copy_records_to_table(
                "routing_agents",
                records=[agent_record(a, p, at, revision, capacity) for a, p in agents],
                columns=AGENT_COLUMNS,
            )
        return time.perf_counter()
    finally:
        await connection.close()


# -- watching the offers ----------------------------------------------------------------


class OfferWatch:
    """CaseOffered events on Kafka, counted by the prefix of the agent's id."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            ASSIGNMENTS.name,
            bootstrap_servers=bootstrap,
            group_id=f"bench-{uuid.uuid4()}",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.counts: dict[str, int] = defaultdict(int)
        self.last: dict[str, float] = {}
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.consumer.start()
        while not self.consumer.assignment():  # the partitions are ours before anything counts
            await self.consumer.getmany(timeout_ms=100)
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for record in self.consumer:
            headers = dict(record.headers)
            if headers.get("ce_type") != OFFERED or record.value is None:
                continue
            agent_id = json.loads(record.value)["agent_id"]
            prefix = agent_id.split("/", 1)[0]
            self.counts[prefix] += 1
            self.last[prefix] = time.perf_counter()

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.consumer.stop()


async def offers_of(connection: asyncpg.Connection, prefix: str) -> int:
    return int(
        await connection.fetchval(
            "SELECT count(*) FROM routing_offers WHERE starts_with(agent_id, $1)",
            prefix + "/",
        )
    )


@dataclass
class RoundResult:
    offers: int
    committed_s: float
    on_kafka_s: float
    cpu: dict[str, float] = field(default_factory=dict)

    @property
    def committed_rate(self) -> float:
        return self.offers / self.committed_s

    @property
    def kafka_rate(self) -> float:
        return self.offers / self.on_kafka_s


def cpu_now(replicas: list[Replica], postgres: int | None) -> dict[str, float]:
    table = process_table()
    cpu = {"routing": sum(tree_cpu(table, each.process.pid) for each in replicas)}
    if postgres is not None:
        cpu["postgres"] = tree_cpu(table, postgres)
    return cpu


async def offer_round(
    url: str,
    watch: OfferWatch,
    prefix: str,
    agents: int,
    pools: list[str],
    replicas: list[Replica],
    postgres: int | None,
    timeout: float,
) -> RoundResult:
    expected = agents * SLOTS
    ids = [(f"{prefix}/agent-{n}", pools[n % len(pools)]) for n in range(agents)]
    before = cpu_now(replicas, postgres)
    began = time.perf_counter()
    logged_in = await log_in(url, ids, CAPACITY)
    connection = await asyncpg.connect(plain(url))
    try:
        committed = 0
        while True:
            committed = await offers_of(connection, prefix)
            if committed >= expected:
                done = time.perf_counter()
                break
            if time.perf_counter() - began > timeout:
                raise RuntimeError(
                    f"{prefix}: {committed:,} of {expected:,} offers in {timeout:.0f} s"
                )
            await asyncio.sleep(0.05)
    finally:
        await connection.close()
    while watch.counts[prefix] < expected:
        if time.perf_counter() - began > timeout:
            raise RuntimeError(f"{prefix}: {watch.counts[prefix]:,} of {expected:,} on Kafka")
        await asyncio.sleep(0.02)
    after = cpu_now(replicas, postgres)
    return RoundResult(
        offers=expected,
        committed_s=done - logged_in,
        on_kafka_s=watch.last[prefix] - logged_in,
        cpu={key: after[key] - before[key] for key in after},
    )


async def replicas_settled(url: str, count: int, timeout: float) -> None:
    """Every replica has beaten and seen the others (its pools re-shared, index rebuilt)."""
    connection = await asyncpg.connect(plain(url))
    began = time.perf_counter()
    try:
        while await connection.fetchval("SELECT count(*) FROM routing_replicas") < count:
            if time.perf_counter() - began > timeout:
                raise RuntimeError(f"fewer than {count} replicas beat in {timeout:.0f} s")
            await asyncio.sleep(0.1)
    finally:
        await connection.close()
    await asyncio.sleep(2.5)  # one more heartbeat (2 s): each has seen all the others


# -- the measurements ---------------------------------------------------------------------


def queue_for(args: argparse.Namespace, pools: list[str]) -> dict[tuple[str, str], int]:
    """Enough waiting cases per pool and channel for the warm-up and every round."""
    agents = args.warmup_agents + args.rounds * args.agents
    per_pool = -(-agents // len(pools)) + 1
    return {
        (pool, channel): per_pool * slots + args.spare_cases
        for pool in pools
        for channel, slots in CAPACITY.items()
    }


async def offers_with(
    infra: Infra, args: argparse.Namespace, replicas_count: int, policies: Path
) -> list[RoundResult]:
    url = infra.database(f"offers_{replicas_count}r")
    migrate(infra, url)
    pools = [f"region-{n}" for n in range(args.pools)]
    await add_cases(url, queue_for(args, pools))
    replicas = [
        start_replica(infra, url, f"replica-{replicas_count}-{n}", policies)
        for n in range(replicas_count)
    ]
    watch = OfferWatch(infra.bootstrap)
    postgres = postmaster_of(infra.postgres_port) if infra.postgres_port else None
    try:
        for each in replicas:
            await each.ready(120)
        await replicas_settled(url, replicas_count, 60)
        await watch.start()
        await offer_round(
            url, watch, "warmup", args.warmup_agents, pools, replicas, postgres, args.timeout
        )
        results = []
        for number in range(args.rounds):
            result = await offer_round(
                url, watch, f"r{number}", args.agents, pools, replicas, postgres, args.timeout
            )
            results.append(result)
            print(
                f"  {replicas_count} replica(s), round {number + 1}: {result.offers:,} offers "
                f"committed in {result.committed_s:.2f} s ({result.committed_rate:,.0f}/s), on "
                f"Kafka in {result.on_kafka_s:.2f} s ({result.kafka_rate:,.0f}/s); CPU "
                + ", ".join(f"{k} {v * 1000 / result.offers:.2f} ms" for k, v in result.cpu.items())
                + " per offer",
                flush=True,
            )
        return results
    finally:
        await watch.stop()
        for each in replicas:
            each.stop()


async def baseline(infra: Infra, args: argparse.Namespace) -> list[float]:
    """The same offers' writes, set-based, decided in advance: offers committed per second."""
    url = infra.database("offers_floor")
    migrate(infra, url)
    pools = [f"region-{n}" for n in range(args.pools)]
    counts = queue_for(args, pools)
    await add_cases(url, counts)
    connection = await asyncpg.connect(plain(url))
    payload_offer = b"x" * 1100  # a CaseOffered with its explanation, as routing writes it
    payload_load = b"x" * 330  # an AgentLoadChanged
    headers = json.dumps([["ce_specversion", "1.0"], ["ce_type", "switchboard.case.offered"]])
    rates = []
    try:
        waiting: dict[tuple[str, str], list[str]] = {}
        for pool, channel, case_id in await connection.fetch(
            "SELECT pool, channel, case_id FROM routing_cases ORDER BY enqueued_at"
        ):
            waiting.setdefault((pool, channel), []).append(case_id)
        for number in range(args.rounds):
            prefix = f"b{number}"
            ids = [(f"{prefix}/agent-{n}", pools[n % len(pools)]) for n in range(args.agents)]
            await log_in(url, ids, CAPACITY)
            decisions = []  # (case, agent, channel)
            for agent_id, pool in ids:
                for channel, slots in CAPACITY.items():
                    for _ in range(slots):
                        decisions.append((waiting[(pool, channel)].pop(0), agent_id, channel))
            began = time.perf_counter()
            for start in range(0, len(decisions), OFFERS_PER_TRANSACTION):
                batch = decisions[start : start + OFFERS_PER_TRANSACTION]
                await floor_batch(connection, batch, payload_offer, payload_load, headers)
            rates.append(len(decisions) / (time.perf_counter() - began))
    finally:
        await connection.close()
    return rates


async def floor_batch(
    connection: asyncpg.Connection,
    batch: list[tuple[str, str, str]],
    payload_offer: bytes,
    payload_load: bytes,
    headers: str,
) -> None:
    now = datetime.now(UTC)
    cases = sorted({case for case, _, _ in batch})
    agents = sorted({agent for _, agent, _ in batch})
    offer_ids = [str(uuid.uuid4()) for _ in batch]
    explanation = json.dumps({"trigger": "agent_freed", "policy": "all", "step": 0})
    async with connection.transaction():
        await connection.fetch(
            "SELECT case_id FROM routing_cases WHERE case_id = ANY($1) ORDER BY case_id FOR UPDATE",
            cases,
        )
        loads = await connection.fetch(
            "SELECT id, load FROM routing_agents WHERE id = ANY($1) ORDER BY id FOR UPDATE", agents
        )
        load = {row["id"]: json.loads(row["load"]) for row in loads}
        for _, agent, channel in batch:
            load[agent][channel] = load[agent].get(channel, 0) + 1
        revision = await next_revision(connection)
        await connection.execute(
            "UPDATE routing_cases c SET state = 'offered', agent_id = u.agent, offer_id = u.offer,"
            " explanation = $4::json, revision = $5 FROM unnest($1::text[], $2::text[], $3::text[])"
            " AS u(case_id, agent, offer) WHERE c.case_id = u.case_id",
            [c for c, _, _ in batch],
            [a for _, a, _ in batch],
            offer_ids,
            explanation,
            revision,
        )
        await connection.execute(
            "UPDATE routing_agents a SET load = u.load::json, idle_since = $3, revision = $4"
            " FROM unnest($1::text[], $2::text[]) AS u(id, load) WHERE a.id = u.id",
            list(load),
            [json.dumps(each) for each in load.values()],
            now,
            revision,
        )
        await connection.execute(
            "INSERT INTO routing_offers (offer_id, case_id, agent_id, offered_at, expires_at,"
            " state, replica, explanation) SELECT u.offer, u.case_id, u.agent, $4, $5, 'pending',"
            " 'floor', $6::json FROM unnest($1::text[], $2::text[], $3::text[])"
            " AS u(offer, case_id, agent)",
            offer_ids,
            [c for c, _, _ in batch],
            [a for _, a, _ in batch],
            now,
            now + timedelta(hours=1),
            explanation,
        )
        events = [str(uuid.uuid4()) for _ in range(2 * len(batch))]
        keys = [key for c, _, _ in batch for key in (c, c)]
        await connection.execute(
            "INSERT INTO sk_outbox (event_id, lane, topic, key, event_type, headers, payload,"
            " created_at) SELECT u.id, 0, $3, u.key, u.type, $4::json, u.payload, $5 FROM"
            " unnest($1::text[], $2::text[], $6::text[], $7::bytea[]) AS u(id, key, type, payload)",
            events,
            keys,
            ASSIGNMENTS.name,
            headers,
            now,
            ["switchboard.case.offered", "switchboard.agent.load_changed"] * len(batch),
            [payload_offer, payload_load] * len(batch),
        )
        await connection.execute(
            "INSERT INTO sk_timers (kind, key, due_at, payload, attempts) SELECT 'offer', u.key,"
            " $2, 'null'::json, 0 FROM unnest($1::text[]) AS u(key)",
            offer_ids,
            now + timedelta(hours=1),
        )


async def rebuild(infra: Infra, args: argparse.Namespace, policies: Path) -> dict[str, Any]:
    """A replica restarted over N waiting cases vs one over an empty queue."""
    pools = [f"region-{n}" for n in range(args.pools)]
    found: dict[str, Any] = {}
    for label, cases in (("empty", 1), ("full", args.index_cases)):
        url = infra.database(f"rebuild_{label}")
        migrate(infra, url)
        per = -(-cases // (len(pools) * len(CAPACITY)))
        began = time.perf_counter()
        written = await add_cases(url, {(p, c): per for p in pools for c in CAPACITY})
        loaded = time.perf_counter() - began
        readies, firsts, rss, peaks = [], [], [], []
        for run in range(args.restarts if label == "full" else 1):
            prefix = f"probe{run}"
            await log_in(url, [(f"{prefix}/agent-0", pools[0])], {"chat": 1})
            replica = start_replica(infra, url, f"rebuild-{label}-{run}", policies)
            try:
                readies.append(await replica.ready(args.timeout))
                connection = await asyncpg.connect(plain(url))
                try:
                    while not await offers_of(connection, prefix):
                        if replica.process.poll() is not None:
                            raise RuntimeError(f"replica exited: {replica.log.read_text()[-3000:]}")
                        if time.perf_counter() - replica.began > args.timeout:
                            raise RuntimeError(f"no offer {args.timeout:.0f} s after the start")
                        await asyncio.sleep(0.05)
                    firsts.append(time.perf_counter() - replica.began)
                finally:
                    await connection.close()
                await asyncio.sleep(1.0)  # the loop idle again
                now_rss, peak = replica.rss_mib()
                rss.append(now_rss)
                peaks.append(peak)
            finally:
                replica.stop()
        found[label] = {
            "cases": written,
            "written_s": loaded,
            "ready": readies,
            "first_offer": firsts,
            "rss": rss,
            "peak": peaks,
        }
    return found


# -- the run ------------------------------------------------------------------------------


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


async def run(args: argparse.Namespace) -> list[str]:
    failed: list[str] = []
    with infrastructure(prefix="bench-routing-offers-") as infra:
        policies = infra.workdir / "policies.yaml"
        policies.write_text(json.dumps(POLICY), encoding="utf-8")
        print(
            f"offers: {args.agents:,} agents x {SLOTS} slots ({CAPACITY}) log in per round over "
            f"{args.pools} pools; {args.rounds} rounds after a warm-up of {args.warmup_agents:,} "
            f"agents; {OFFERS_PER_TRANSACTION} offers per transaction; load average "
            f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs",
            flush=True,
        )
        floor = await baseline(infra, args)
        print(
            "  baseline (the same writes, set-based, no index/ORM/relay): "
            f"{over_runs(floor, '/s', 0)}",
            flush=True,
        )
        by_replicas = {}
        for count in (1, 2):
            by_replicas[count] = await offers_with(infra, args, count, policies)
        floor_rate = sorted(floor)[len(floor) // 2]
        for count, results in by_replicas.items():
            committed = [each.committed_rate for each in results]
            kafka = [each.kafka_rate for each in results]
            cpu_routing = [each.cpu["routing"] * 1000 / each.offers for each in results]
            cpu_pg = [each.cpu.get("postgres", 0) * 1000 / each.offers for each in results]
            middle = sorted(committed)[len(committed) // 2]
            print(
                f"{count} replica(s): committed {over_runs(committed, '/s', 0)} "
                f"({ratio(middle, floor_rate)} of the baseline); "
                f"on Kafka {over_runs(kafka, '/s', 0)}; "
                f"CPU per offer: routing {over_runs(cpu_routing, ' ms', 2)}, PostgreSQL "
                f"{over_runs(cpu_pg, ' ms', 2)}"
            )
            if not all(rate > 0 for rate in committed + kafka):
                failed.append(f"no offers with {count} replica(s)")
            if not args.smoke:
                print(
                    f"  target ≥ {TARGET_RATE:,} offers/s committed: "
                    f"{mark(middle >= TARGET_RATE)} ({middle:,.0f}/s, "
                    f"{ratio(middle, TARGET_RATE)} of it)"
                )
        found = await rebuild(infra, args, policies)
        empty, full = found["empty"], found["full"]
        empty_rss = empty["rss"][0]
        per_10k = [(rss - empty_rss) / (full["cases"] / 10_000) for rss in full["rss"]]
        print(
            f"rebuild: {full['cases']:,} waiting cases (written in {full['written_s']:.1f} s); "
            f"start → /readyz {over_runs(full['ready'], ' s', 2)}; start → first offer (index "
            f"rebuilt) {over_runs(full['first_offer'], ' s', 2)}; over an empty queue: /readyz "
            f"{empty['ready'][0]:.2f} s, first offer {empty['first_offer'][0]:.2f} s"
        )
        print(
            f"memory: replica RSS {over_runs(full['rss'], ' MiB', 0)} (peak "
            f"{over_runs(full['peak'], ' MiB', 0)}) vs {empty_rss:,.0f} MiB over an empty queue: "
            f"{over_runs(per_10k, ' MiB', 1)} per 10,000 waiting cases"
        )
        if not all(value > 0 for value in full["first_offer"] + per_10k):
            failed.append("rebuild or memory not measured")
    return failed


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, checks no targets")
    parser.add_argument("--agents", type=int, default=2_000, help="agents logging in per round")
    parser.add_argument("--warmup-agents", type=int, default=300)
    parser.add_argument("--pools", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--spare-cases", type=int, default=50, help="per pool and channel")
    parser.add_argument("--index-cases", type=int, default=1_000_000)
    parser.add_argument("--restarts", type=int, default=3)
    parser.add_argument("--timeout", type=float, default=600.0)
    args = parser.parse_args()
    if args.smoke:
        args.agents, args.warmup_agents, args.pools, args.rounds = 40, 10, 4, 2
        args.spare_cases, args.index_cases, args.restarts, args.timeout = 5, 5_000, 1, 120.0
    return args


def main() -> int:
    args = arguments()
    try:
        failed = asyncio.run(run(args))
    except Exception as error:  # the run could not measure: say why, fail
        print(f"RESULT {NAME}: failed {type(error).__name__}: {error}")
        raise
    if failed:
        print(f"RESULT {NAME}: failed {'; '.join(failed)}")
        return 1
    print(f"RESULT {NAME}: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
