"""Intake accept benchmark on a private broker and database, all in one run.

(a) contacts accepted per second by intake (202 after commit), served as ``switchboard-intake
    serve`` serves it (2 uvicorn workers, each assembled as bootstrap wires it: group commit,
    relay to Kafka), each contact a new chat visitor (new customer, new case: the heaviest
    path), closed loop;
(b) p50/p99 latency at half that rate, open loop (latency counted from the due time, so
    queueing is not hidden);
(c) the baseline: a bare FastAPI endpoint (``intake_bare_app``, same workers) that validates
    the same model and inserts one row per contact, group-committed the way intake commits
    (up to ``accept_batch_size`` contacts per transaction). Target: (a) ≥ 60 % of (c).
Intake and bare alternate in short rounds so both meet the same background load; each
round's rate and the ratio are shown as median and spread over the rounds. Also the CPU time
per accepted contact of the server's processes and of PostgreSQL's (from /proc, user +
system), and whether the relay published every event to Kafka.
Loopback only. ``--smoke``: tiny sizes, checks it runs and the numbers are sane.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from infra import infrastructure
from load import LoadResult, Request, closed_loop, http_request, open_loop
from process_cpu import postmaster_of, process_table, tree_cpu
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from stats import Distribution, over_runs, ratio

from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.signatures import sign
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.launcher.processes import stop_all, wait_ready
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.tables import outbox

LOOPBACK = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
VENV_BIN = Path(sys.executable).parent
TARGET_RATIO = 0.60
LEAD_SECONDS = 10.0
"""Open loop: the first request is due this long after the requests are built, time for
``load`` to start its client processes (each imports this script) on a busy machine."""
TEXTS = [
    "Hej, jeg har stadig ikke modtaget min pakke, og ingen svarer på mine mails.",
    "Bonjour, ma commande n'est toujours pas arrivée et personne ne me répond.",
    "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na maile.",
    "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on.",
]


def load_text() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def chat_body(index: int) -> bytes:
    token = uuid.uuid4().hex
    return json.dumps(
        {
            "session_id": f"s-{token}",
            "message_id": "1",
            "visitor": {"id": f"v-{token}", "email": f"visitor.{token[:12]}@example.com"},
            "message": TEXTS[index % len(TEXTS)],
        }
    ).encode()


def chat_requests(url: str, count: int, secret: str | None, *, rate: float = 0.0) -> list[Request]:
    """``count`` new chat visitors, signed as the adapter signs them (just before the round:
    signatures are accepted for 5 minutes); if ``rate``, due at ``rate`` per second from
    ``LEAD_SECONDS`` on."""
    start = time.time() + LEAD_SECONDS
    now = datetime.now(UTC)
    requests = []
    for index in range(count):
        body = chat_body(index)
        headers = {"content-type": "application/json"}
        if secret:
            headers |= sign(secret=secret, webhook_id=f"wh-{uuid.uuid4().hex}", body=body, at=now)
        due = start + index / rate if rate else 0.0
        requests.append(Request(http_request("POST", url, body, headers), due=due))
    return requests


# --- servers --------------------------------------------------------------------------------


def start_server(command: list[str], env: dict[str, str], port: int, log: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        command, env=os.environ | env, stdout=log.open("wb"), stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 300
    last = "no answer"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited:\n{log.read_text()[-3000:]}")
        try:
            answer = httpx.get(f"http://{LOOPBACK}:{port}/readyz", timeout=2)
            if answer.status_code == 200:
                return process
            last = answer.text
        except httpx.HTTPError as error:
            last = repr(error)
        time.sleep(0.5)
    stop_server(process)
    raise RuntimeError(f"server not ready in time ({last}):\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


async def register_chat_adapter(database_url: str) -> str:
    schema = DEFINITION.migrations
    await migrate(database_url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session, session.begin():
            _, secret = await channel_adapters.register_adapter(
                session=session,
                spec=AdapterSpec(id="bench-chat", channel="chat", region="nordics"),
                box=IntakeSettings.load().secret_box(),  # the server's: the same environment
                now=datetime.now(UTC),
            )
    finally:
        await engine.dispose()
    return secret


async def create_bare_table(database_url: str) -> None:
    from intake_bare_app import metadata

    engine = create_engine(database_url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
    finally:
        await engine.dispose()


async def kafka_records(bootstrap: str) -> int:
    """Records on intake's topics so far (the sum of their partitions' end offsets)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics([CASES.name, ASSIGNMENTS.name])
    finally:
        await admin.close()
    partitions = [
        TopicPartition(topic["topic"], partition["partition"])
        for topic in described
        if not topic["error_code"]
        for partition in topic["partitions"]
    ]
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await consumer.start()
    try:
        return sum((await consumer.end_offsets(partitions)).values())
    finally:
        await asyncio.sleep(0.1)  # a consumer stopped at once trips over its own start-up task
        await consumer.stop()


async def outbox_backlog(
    database_url: str, bootstrap: str, *, records_before: int, wait_seconds: float
) -> tuple[int, int]:
    """(records published to Kafka since ``records_before``, rows still pending) once the
    relay had up to ``wait_seconds`` to drain the outbox."""
    engine = create_engine(database_url)
    try:
        deadline = time.monotonic() + wait_seconds
        while True:
            async with engine.connect() as connection:
                pending = await connection.scalar(select(func.count()).select_from(outbox))
                pending = int(pending or 0)
            if not pending or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)
    finally:
        await engine.dispose()
    return await kafka_records(bootstrap) - records_before, pending


# --- the run --------------------------------------------------------------------------------


class Round:
    """One closed-loop round against one server, with the CPU its processes and PostgreSQL's
    spent meanwhile."""

    def __init__(self, result: LoadResult, server_cpu: float, database_cpu: float) -> None:
        self.result = result
        self.accepted = result.statuses().get(202, 0)
        self.rate = result.rate(202)
        self.server_cpu, self.database_cpu = server_cpu, database_cpu


def cpu_seconds(server_pid: int, postmaster: int | None) -> tuple[float, float]:
    processes = process_table()
    database = tree_cpu(processes, postmaster) if postmaster is not None else float("nan")
    return tree_cpu(processes, server_pid), database


def measured_round(args, url: str, secret: str | None, pid: int, postmaster: int | None) -> Round:
    requests = chat_requests(url, args.requests, secret)
    server_before, database_before = cpu_seconds(pid, postmaster)
    result = closed_loop(
        url,
        requests,
        clients=args.clients,
        concurrency=args.concurrency,
        seconds=args.seconds / args.rounds,
    )
    server_after, database_after = cpu_seconds(pid, postmaster)
    return Round(result, server_after - server_before, database_after - database_before)


def per_contact_ms(rounds: list[Round], attribute: str) -> float:
    accepted = sum(r.accepted for r in rounds)
    return 1000 * sum(getattr(r, attribute) for r in rounds) / max(accepted, 1)


def statuses(rounds: list[Round]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for r in rounds:
        for status, count in r.result.statuses().items():
            counted[status] = counted.get(status, 0) + count
    return counted


def run(args: argparse.Namespace) -> list[str]:
    """The benchmark; returns what was not sane (empty when it measured)."""
    problems: list[str] = []
    with ExitStack() as stack:
        infra = stack.enter_context(infrastructure(prefix="intake-bench-"))
        intake_db, bare_db = infra.database("intake"), infra.database("bare")
        secret = asyncio.run(register_chat_adapter(intake_db))
        asyncio.run(create_bare_table(bare_db))
        records_before = asyncio.run(kafka_records(infra.bootstrap))
        batch = IntakeSettings.load().accept_batch_size

        bare_port = free_port()
        # The server's settings are this environment's, as the adapter's secret box above.
        intake = infra.service(
            "intake",
            {"DATABASE_URL": intake_db, "HTTP_WORKERS": str(args.workers), "LOG_LEVEL": "WARNING"},
            inherit=True,
        )
        intake.start(VENV_BIN)
        stack.callback(stop_all, [intake], 30)
        wait_ready([intake], 300)
        bare = start_server(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "intake_bare_app:create",
                "--app-dir",
                str(BENCH_DIR),
                "--host",
                LOOPBACK,
                "--port",
                str(bare_port),
                "--workers",
                str(args.workers),
                "--log-level",
                "warning",
                "--no-access-log",
            ],
            {"BENCH_DATABASE_URL": bare_db, "BENCH_ACCEPT_BATCH": str(batch)},
            bare_port,
            infra.workdir / "bare.log",
        )
        stack.callback(stop_server, bare)
        servers = {
            "intake": (
                f"{intake.url}/v1/adapters/bench-chat/contacts/chat",
                secret,
                intake.process.pid,
            ),
            "bare": (f"http://{LOOPBACK}:{bare_port}/contacts", None, bare.pid),
        }
        for url, key, _ in servers.values():  # warm-up: caches, prepared statements, pools
            closed_loop(
                url,
                chat_requests(url, args.warmup, key),
                clients=args.clients,
                concurrency=16,
                seconds=10,
            )
        postmaster = postmaster_of(make_url(intake_db).port or 5432)
        rounds: dict[str, list[Round]] = {"intake": [], "bare": []}
        for _ in range(args.rounds):  # alternate: both meet the same background load
            for name, (url, key, pid) in servers.items():
                rounds[name].append(measured_round(args, url, key, pid, postmaster))

        url, key, _ = servers["intake"]
        paced_rate = max(1.0, sum(r.rate for r in rounds["intake"]) / args.rounds / 2)
        count = int(paced_rate * args.paced_seconds)
        paced = open_loop(
            url,
            chat_requests(url, count, key, rate=paced_rate),
            clients=args.clients,
            connections=args.concurrency * 4,
        )
        published, pending = asyncio.run(
            outbox_backlog(
                intake_db, infra.bootstrap, records_before=records_before, wait_seconds=15
            )
        )

    intake_rates = [r.rate for r in rounds["intake"]]
    bare_rates = [r.rate for r in rounds["bare"]]
    ratios = [i / b for i, b in zip(intake_rates, bare_rates, strict=True) if b]
    print(
        f"cpus: {os.cpu_count()}, uvicorn workers: {args.workers}, load clients: "
        f"{args.clients}, concurrency: {args.concurrency}, group commit: up to {batch} "
        f"per transaction (both), {args.rounds} rounds of {args.seconds / args.rounds:.1f} s"
    )
    print(
        f"(a) intake accepted/s: {over_runs(intake_rates, digits=0)}; "
        f"{Distribution.of([a.latency for r in rounds['intake'] for a in r.result.answers]).ms()}"
        f"; statuses {statuses(rounds['intake'])}"
    )
    print(
        f"    CPU per contact: server {per_contact_ms(rounds['intake'], 'server_cpu'):.2f} ms, "
        f"PostgreSQL {per_contact_ms(rounds['intake'], 'database_cpu'):.2f} ms"
    )
    paced_202 = [a.latency for a in paced.answers if a.status == 202]
    print(
        f"(b) intake paced at {paced_rate:.0f}/s for {args.paced_seconds:.0f} s: "
        f"{Distribution.of(paced_202).ms()}; statuses {paced.statuses()}"
        + (f"; errors {paced.errors}" if paced.errors else "")
        + (f"; abandoned {paced.abandoned}" if paced.abandoned else "")
    )
    late = Distribution.of([a.sent - a.due for a in paced.answers if a.sent])
    print(
        f"    load generator lateness (sent - due; counted in the latencies): {late.ms()}"
        + (
            " ⚠ late: the machine is too busy to start the clients in time"
            if late.p50 > 0.01
            else ""
        )
    )
    print(
        f"(c) bare group-committed endpoint requests/s: {over_runs(bare_rates, digits=0)}; "
        f"{Distribution.of([a.latency for r in rounds['bare'] for a in r.result.answers]).ms()}"
        f"; statuses {statuses(rounds['bare'])}"
    )
    print(
        f"    CPU per request: server {per_contact_ms(rounds['bare'], 'server_cpu'):.2f} ms, "
        f"PostgreSQL {per_contact_ms(rounds['bare'], 'database_cpu'):.2f} ms"
    )
    total_intake, total_bare = sum(intake_rates), sum(bare_rates)
    overall = total_intake / total_bare if total_bare else 0.0
    print(
        f"intake / bare = {ratio(total_intake, total_bare)} (per round: "
        f"{over_runs([100 * r for r in ratios], ' %', 0)}) [target ≥ {TARGET_RATIO:.0%}] "
        f"{'✓' if overall >= TARGET_RATIO else '✗'}"
    )
    print(
        f"outbox: {published} events published to Kafka, {pending} rows pending 15 s after "
        f"the load; {load_text()}",
        flush=True,
    )
    accepted = sum(r.accepted for r in rounds["intake"]) + len(paced_202)
    if not all(intake_rates) or not all(bare_rates):
        problems.append("a round accepted nothing")
    if published < accepted:
        problems.append(f"{published} events on Kafka for {accepted} accepted contacts")
    if pending:
        problems.append(f"{pending} outbox rows never relayed")
    if not per_contact_ms(rounds["intake"], "server_cpu") > 0:
        problems.append("no server CPU measured")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=12000, help="prepared per round")
    parser.add_argument("--seconds", type=float, default=24.0, help="closed loop, per server")
    parser.add_argument("--rounds", type=int, default=4, help="alternations intake/bare")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--warmup", type=int, default=400, help="requests per server")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.seconds, args.rounds, args.warmup = 300, 3.0, 1, 20
        args.paced_seconds = 2.0
    print(f"cpus: {os.cpu_count()}; {load_text()}", flush=True)
    try:
        problems = run(args)
    except Exception as error:
        print(f"RESULT intake_accept: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    if problems:
        print(f"RESULT intake_accept: failed {'; '.join(problems)}")
        raise SystemExit(1)
    print("RESULT intake_accept: ok")


if __name__ == "__main__":
    main()
