"""SLA timer benchmark on PostgreSQL, with the escalation service's real timer handler.

1,000,000 open SLA clocks (cases, clocks and servicekit timers) are loaded; then
(a) burst: 100,000 of them fall due at once — timers fired (breach events committed) per second;
(b) steady: 200 clocks fall due per second — lag from due time until the breach event is
    committed and visible in the outbox (p50, p99).
Targets: (a) ≥ 5,000 fired/s; (b) p99 < 1 s.

Pollers are servicekit TimerPollers (FOR UPDATE SKIP LOCKED) on the service's own units of
work, with the handler tables `DEFINITION` declares: the SLA clock kind fired by the batch
handler `sla_clocks.fire_sla_clocks` (`--mode per-timer`: without batch handlers, for
comparison); `--processes` runs them as several replicas.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import multiprocessing
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import func, select

from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.domain.configuration import load_config
from switchboard.escalation.service_layer.handlers import TIMER_BATCH_HANDLERS, TIMER_HANDLERS
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.service import assemble
from switchboard.servicekit.tables import outbox, timers
from switchboard.servicekit.timers import TimerPoller

TARGET = timedelta(hours=1)
CONFIG = """
sla_policies:
  - name: bench
    targets: {first_response: 1h, next_response: 1h, resolution: 1d}
    escalate_at: %s
escalation_policies:
  - name: standard
    levels: [{name: lead, targets: [region], acknowledge_within: 10m}]
coordinators: [{id: c1, name: C1, regions: [eu]}]
"""


def asyncpg_dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def load_clocks(
    dsn: str, *, due: list[datetime], prefix: str, escalate: bool = False
) -> None:
    """Cases, running first-response clocks (warnings already fired) and their breach timers."""
    connection = await asyncpg.connect(dsn)
    try:
        cases, clocks, timer_rows = [], [], []
        for index, due_at in enumerate(due):
            case_id, clock_id = f"{prefix}-case-{index}", f"{prefix}-clock-{index}"
            started = due_at - TARGET
            cases.append(
                (
                    case_id,
                    f"cust-{index}",
                    "eu",
                    "email",
                    3,
                    None,
                    False,
                    "bench",
                    None,
                    None,
                    "open",
                    None,
                )
            )
            clocks.append(
                (
                    clock_id,
                    case_id,
                    "first_response",
                    "bench",
                    "eu",
                    3600.0,
                    "[0.5, 0.75, 1.0]",
                    "[1.0]" if escalate else "[]",
                    "[0.5, 0.75]",
                    "running",
                    0.0,
                    started,
                    None,
                    started,
                )
            )
            timer_rows.append(("sla-clock", clock_id, due_at, "{}", 0, None, None, None))
        await connection.copy_records_to_table(
            "esc_cases",
            records=cases,
            columns=[
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
            ],
        )
        await connection.copy_records_to_table(
            "esc_sla_clocks",
            records=clocks,
            columns=[
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
            ],
        )
        await connection.copy_records_to_table(
            "sk_timers",
            records=timer_rows,
            columns=[
                "kind",
                "key",
                "due_at",
                "payload",
                "attempts",
                "last_error",
                "dead_at",
                "trace",
            ],
        )
    finally:
        await connection.close()


async def run_pollers(
    url: str, pollers: int, batch_size: int, stop: Any, ready: Any, mode: str
) -> None:
    settings = DEFINITION.settings.load(
        database_url=url, kafka_bootstrap_servers="127.0.0.1:9", timer_batch_size=batch_size
    )
    service = assemble(DEFINITION, settings)  # the service's own units of work and deps
    async with service.engine.connect() as connection:  # imported and connected: a replica
        await connection.execute(select(1))
    ready.release()
    # "service": exactly what DEFINITION declares (the SLA kind fired by its batch handler);
    # "per-timer": the same handlers without batch_handlers, one savepoint per timer (before).
    batch_handlers = TIMER_BATCH_HANDLERS if mode == "service" else None
    running = [
        TimerPoller(
            units=service.units,
            handlers=TIMER_HANDLERS,
            batch_handlers=batch_handlers,
            batch_size=batch_size,
            poll_seconds=0.05,
        )
        for _ in range(pollers)
    ]
    tasks = [asyncio.create_task(poller.run()) for poller in running]
    while not stop.is_set():
        await asyncio.sleep(0.2)
    for poller in running:
        poller.stop()
    await asyncio.gather(*tasks)
    await service.runtime.stop()


def poller_process(
    url: str, pollers: int, batch_size: int, stop: Any, ready: Any, mode: str
) -> None:
    logging.basicConfig(level=logging.WARNING, format="%(process)d %(levelname)s %(message)s")
    asyncio.run(run_pollers(url, pollers, batch_size, stop, ready, mode))


async def count(engine, query) -> int:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        return int((await conn.execute(query)).scalar_one())


async def watch_steady(dsn: str, expected: int, timeout: float) -> list[float]:
    """Lags (s) from each breach's due time to the moment its event is visible committed.

    Outbox ids are taken at insert, not at commit: a row with a lower id may become visible
    after a higher one, so the watch re-reads a window below the highest id seen."""
    connection = await asyncpg.connect(dsn)
    lags: list[float] = []
    seen: set[int] = set()
    start_id = await connection.fetchval("SELECT coalesce(max(id), 0) FROM sk_outbox")
    deadline = time.monotonic() + timeout
    try:
        while len(lags) < expected and time.monotonic() < deadline:
            floor = max([start_id, *seen]) - 5_000 if seen else start_id
            rows = await connection.fetch(
                "SELECT id, payload FROM sk_outbox WHERE id > $1 AND event_type = "
                "'switchboard.sla.breached'",
                max(floor, start_id),
            )
            seen_at = datetime.now(UTC)
            for row in rows:
                if row["id"] in seen:
                    continue
                seen.add(row["id"])
                due = datetime.fromisoformat(json.loads(row["payload"])["due_at"])
                lags.append((seen_at - due).total_seconds())
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    return lags


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def main(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="sb-bench-escalation-") as tmp:
        cluster = None
        url = args.database_url
        if url is None:
            Path(tmp).chmod(0o755)  # PostgreSQL runs as another user when we are root
            cluster = PostgresCluster(Path(tmp) / "pg")
            cluster.start()
            await asyncio.to_thread(cluster.create_database, "bench")
            url = cluster.url("bench")
        try:
            await bench(url, args)
        finally:
            if cluster is not None:
                cluster.stop()


async def bench(url: str, args: argparse.Namespace) -> None:
    dsn = asyncpg_dsn(url)
    schema = DEFINITION.migrations
    await migrate(url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    engine = create_engine(url)
    settings = DEFINITION.settings.load(database_url=url, kafka_bootstrap_servers="127.0.0.1:9")
    service = assemble(DEFINITION, settings)
    async with service.transaction() as uow:
        escalate_at = "[1.0]" if args.escalate else "[]"
        config = load_config(CONFIG % escalate_at)
        await uow.deps.config.replace(uow.session, config=config, by="bench")
    await service.runtime.stop()

    began = time.perf_counter()
    now = datetime.now(UTC)
    burst_due = now + timedelta(seconds=1)
    future = [now + timedelta(days=1, seconds=i) for i in range(args.clocks - args.burst)]
    chunk = 100_000
    for start in range(0, len(future), chunk):
        await load_clocks(dsn, due=future[start : start + chunk], prefix=f"idle{start}")
    await load_clocks(dsn, due=[burst_due] * args.burst, prefix="burst", escalate=args.escalate)
    connection = await asyncpg.connect(dsn)
    await connection.execute("VACUUM ANALYZE")
    await connection.close()
    open_clocks = await count(engine, select(func.count()).select_from(timers))
    print(
        f"loaded {open_clocks:,} open SLA clocks with timers in {time.perf_counter() - began:.1f} s"
    )

    context = multiprocessing.get_context("spawn")

    def start_replicas() -> tuple[Any, list[Any]]:
        """Start the replica processes; returns once each has imported and connected, so
        the measurements below leave out process start-up (~2 s on the development VM)."""
        stop, ready = context.Event(), context.Semaphore(0)
        workers = [
            context.Process(
                target=poller_process,
                args=(url, args.pollers, args.batch_size, stop, ready, args.mode),
            )
            for _ in range(args.processes)
        ]
        for worker in workers:
            worker.start()
        for _ in workers:
            ready.acquire()
        return stop, workers

    def stop_replicas(stop: Any, workers: list[Any]) -> None:
        stop.set()
        for worker in workers:
            worker.join()

    stop, workers = start_replicas()
    breached = (
        select(func.count())
        .select_from(outbox)
        .where(outbox.c.event_type == "switchboard.sla.breached")
    )
    started = time.perf_counter()
    fired, last_report = 0, started
    while fired < args.burst and time.perf_counter() - started < args.burst_window:
        await asyncio.sleep(0.25)
        fired = await count(engine, breached)
        if time.perf_counter() - last_report >= 2:
            elapsed = time.perf_counter() - started
            print(f"  burst: {fired:,} fired in {elapsed:.1f} s ({fired / elapsed:,.0f}/s)")
            last_report = time.perf_counter()
    burst_elapsed = time.perf_counter() - started
    print(
        f"(a) burst: {fired:,} of {args.burst:,} due timers fired in {burst_elapsed:.2f} s "
        f"= {fired / burst_elapsed:,.0f} fired/s  (target >= 5,000/s)"
    )
    stop_replicas(stop, workers)
    connection = await asyncpg.connect(dsn)
    left = await connection.fetchval(
        "WITH gone AS (DELETE FROM sk_timers WHERE due_at <= now() RETURNING 1)"
        " SELECT count(*) FROM gone"
    )
    await connection.close()
    print(f"    undrained burst timers removed before the steady phase: {left:,}")

    stop, workers = start_replicas()
    steady_count = args.steady_seconds * args.rate
    steady_start = datetime.now(UTC) + timedelta(seconds=3)
    steady_due = [steady_start + timedelta(seconds=i / args.rate) for i in range(steady_count)]
    await load_clocks(
        dsn, due=steady_due, prefix=f"steady-{uuid.uuid4().hex[:6]}", escalate=args.escalate
    )
    lags = await watch_steady(dsn, steady_count, timeout=args.steady_seconds + 30)
    if lags:
        print(
            f"(b) steady {args.rate}/s for {args.steady_seconds} s: {len(lags):,} breaches, lag"
            f" p50 {percentile(lags, 0.5) * 1000:.0f} ms, p99 {percentile(lags, 0.99) * 1000:.0f}"
            f" ms, max {max(lags) * 1000:.0f} ms, mean {statistics.mean(lags) * 1000:.0f} ms"
            f"  (target p99 < 1000 ms)"
        )
    stop_replicas(stop, workers)
    connection = await asyncpg.connect(dsn)
    retried, dead = await connection.fetchrow(
        "SELECT count(*) FILTER (WHERE attempts > 0), count(*) FILTER (WHERE dead_at IS NOT NULL)"
        " FROM sk_timers"
    )
    states = await connection.fetch("SELECT state, count(*) FROM esc_sla_clocks GROUP BY 1")
    events = await connection.fetch("SELECT event_type, count(*) FROM sk_outbox GROUP BY 1")
    await connection.close()
    print(
        f"    timers retried after a handler error: {retried}, dead: {dead}; clocks: "
        + ", ".join(f"{row['state']} {row['count']:,}" for row in states)
        + "; outbox: "
        + ", ".join(f"{row['event_type']} {row['count']:,}" for row in events)
    )

    await engine.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="an existing PostgreSQL database (asyncpg URL)")
    parser.add_argument("--clocks", type=int, default=1_000_000)
    parser.add_argument("--burst", type=int, default=100_000)
    parser.add_argument("--burst-window", type=float, default=60.0)
    parser.add_argument("--rate", type=int, default=200)
    parser.add_argument("--steady-seconds", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--pollers", type=int, default=2, help="pollers per process")
    parser.add_argument(
        "--batch-size", type=int, default=500, help="timers claimed per poll (service: 500)"
    )
    parser.add_argument(
        "--mode",
        choices=["service", "per-timer"],
        default="service",
        help="service: servicekit TimerPoller with the service's batch handler, as "
        "DEFINITION declares it (the real path); per-timer: the same poller and handlers "
        "without batch_handlers, one savepoint per timer (the path before batching)",
    )
    parser.add_argument("--escalate", action="store_true", help="raise an escalation per breach")
    asyncio.run(main(parser.parse_args()))
