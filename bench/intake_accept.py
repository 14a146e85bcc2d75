"""Intake accept benchmark on the local broker and database, all in one run.

(a) contacts accepted per second by intake (202 after commit) with 2 uvicorn workers, each a
    new chat visitor (new customer, new case: the heaviest path);
(b) p50/p99 latency at half that rate, paced open-loop (latency counted from the scheduled
    send time, so queueing is not hidden);
(c) the rate of a bare FastAPI endpoint with 2 workers that validates the same model and
    inserts one row. Target: (a) >= 60 % of (c).
For (a) and (c) it also reports the CPU time per accepted request of the server's processes
and of the PostgreSQL server's processes (from /proc, user + system), over the same rounds.
Loopback only; bounded by --requests and --seconds. Kafka and PostgreSQL are launched
privately unless KAFKA_BOOTSTRAP_SERVERS / BENCH_POSTGRES_URL (server-level) are set.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from process_cpu import postmaster_of, process_table, tree_cpu
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.signatures import sign
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.tables import outbox

LOOPBACK = "127.0.0.1"
BENCH_DIR = Path(__file__).resolve().parent
TEXTS = [
    "Hej, jeg har stadig ikke modtaget min pakke, og ingen svarer på mine mails.",
    "Bonjour, ma commande n'est toujours pas arrivée et personne ne me répond.",
    "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na maile.",
    "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on.",
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


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


# --- load generation (runs in client processes) -------------------------------------------


def client_process(job: dict[str, object]) -> dict[str, object]:
    return asyncio.run(_client(job))


async def _client(job: dict[str, object]) -> dict[str, object]:
    url = str(job["url"])
    secret = job.get("secret")
    limits = httpx.Limits(max_connections=int(job.get("concurrency", 256)) + 4)
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    def request_for(index: int) -> tuple[bytes, dict[str, str]]:
        body = chat_body(index)
        headers = {"content-type": "application/json"}
        if secret:
            headers |= sign(
                secret=str(secret),
                webhook_id=f"wh-{uuid.uuid4().hex}",
                body=body,
                at=datetime.now(UTC),
            )
        return body, headers

    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def one(index: int, scheduled: float | None) -> None:
            body, headers = request_for(index)
            started = scheduled if scheduled is not None else time.perf_counter()
            try:
                response = await client.post(url, content=body, headers=headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            latencies.append(time.perf_counter() - started)
            statuses[status] = statuses.get(status, 0) + 1

        started = time.perf_counter()
        if job["mode"] == "closed":
            remaining = iter(range(int(job["requests"])))
            deadline = started + float(job["seconds"])

            async def worker() -> None:
                for index in remaining:
                    if time.perf_counter() > deadline:
                        return
                    await one(index, None)

            await asyncio.gather(*[worker() for _ in range(int(job["concurrency"]))])
        else:
            rate = float(job["rate"])
            total = int(rate * float(job["seconds"]))
            tasks = []
            for index in range(total):
                scheduled = started + index / rate
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                tasks.append(asyncio.create_task(one(index, scheduled)))
            await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    return {"latencies": latencies, "statuses": statuses, "elapsed": elapsed}


def run_load(pool: multiprocessing.pool.Pool, clients: int, **job: object) -> dict[str, object]:
    per_client = dict(job)
    if "requests" in job:
        per_client["requests"] = int(job["requests"]) // clients
    if "concurrency" in job:
        per_client["concurrency"] = max(1, int(job["concurrency"]) // clients)
    if "rate" in job:
        per_client["rate"] = float(job["rate"]) / clients
    results = pool.map(client_process, [per_client] * clients)
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    for result in results:
        latencies += result["latencies"]
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    elapsed = max(result["elapsed"] for result in results)
    accepted = statuses.get(202, 0)
    return {
        "accepted": accepted,
        "statuses": statuses,
        "rate": accepted / elapsed,
        "p50_ms": 1000 * statistics.median(latencies),
        "p99_ms": 1000 * statistics.quantiles(latencies, n=100)[98],
        "elapsed": elapsed,
    }


def cpu_seconds(server_pid: int, postmaster: int | None) -> tuple[float, float]:
    """(CPU seconds of the server and its descendants, of the database server's processes)."""
    processes = process_table()
    server = tree_cpu(processes, server_pid)
    if postmaster is None:
        return server, float("nan")
    return server, tree_cpu(processes, postmaster)


def measured_load(
    pool: multiprocessing.pool.Pool,
    clients: int,
    server_pid: int,
    postmaster: int | None,
    **job: object,
) -> dict[str, object]:
    server_before, database_before = cpu_seconds(server_pid, postmaster)
    result = run_load(pool, clients, **job)
    server_after, database_after = cpu_seconds(server_pid, postmaster)
    result["server_cpu"] = server_after - server_before
    result["database_cpu"] = database_after - database_before
    return result


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
    process.terminate()
    raise RuntimeError(f"server not ready in time ({last}):\n{log.read_text()[-3000:]}")


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000, help="cap per closed-loop round")
    parser.add_argument("--seconds", type=float, default=24.0, help="closed-loop time per server")
    parser.add_argument("--rounds", type=int, default=4, help="alternations intake/bare")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers per server")
    parser.add_argument("--paced-seconds", type=float, default=10.0)
    args = parser.parse_args()

    with ExitStack() as stack, tempfile.TemporaryDirectory(prefix="intake-bench-") as tmp:
        workdir = Path(tmp)
        workdir.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data dir
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS")
        if not bootstrap:
            bootstrap = stack.enter_context(KafkaBroker(workdir / "kafka")).bootstrap_servers
        if os.environ.get("BENCH_POSTGRES_URL"):
            base = os.environ["BENCH_POSTGRES_URL"].rsplit("/", 1)[0]
            intake_db, bare_db = f"{base}/intake_bench", f"{base}/bare_bench"
        else:
            cluster = stack.enter_context(PostgresCluster(workdir / "postgres"))
            intake_db = cluster.create_database(f"intake_{uuid.uuid4().hex[:8]}")
            bare_db = cluster.create_database(f"bare_{uuid.uuid4().hex[:8]}")
        secret = asyncio.run(register_chat_adapter(intake_db))
        records_before = asyncio.run(kafka_records(bootstrap))
        pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.clients))

        intake_port, bare_port = free_port(), free_port()
        intake = start_server(
            [
                str(Path(sys.executable).with_name("switchboard-intake")),
                "serve",
                "--workers",
                str(args.workers),
            ],
            {
                "SWITCHBOARD_INTAKE_DATABASE_URL": intake_db,
                "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
                "SWITCHBOARD_INTAKE_HTTP_HOST": LOOPBACK,
                "SWITCHBOARD_INTAKE_HTTP_PORT": str(intake_port),
                "SWITCHBOARD_INTAKE_LOG_LEVEL": "WARNING",
            },
            intake_port,
            workdir / "intake.log",
        )
        stack.callback(stop_server, intake)
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
            {"BENCH_DATABASE_URL": bare_db},
            bare_port,
            workdir / "bare.log",
        )
        stack.callback(stop_server, bare)
        intake_job = {
            "url": f"http://{LOOPBACK}:{intake_port}/v1/adapters/bench-chat/contacts/chat",
            "secret": secret,
        }
        bare_job = {"url": f"http://{LOOPBACK}:{bare_port}/contacts"}
        for job in (intake_job, bare_job):
            run_load(
                pool, args.clients, mode="closed", requests=400, seconds=10, concurrency=16, **job
            )
        # Alternate short rounds so that both servers meet the same background load.
        rounds: dict[str, list[dict]] = {"intake": [], "bare": []}
        servers = {"intake": intake.pid, "bare": bare.pid}
        postmaster = postmaster_of(make_url(intake_db).port or 5432)
        for _ in range(args.rounds):
            for name, job in (("intake", intake_job), ("bare", bare_job)):
                rounds[name].append(
                    measured_load(
                        pool,
                        args.clients,
                        servers[name],
                        postmaster,
                        mode="closed",
                        requests=args.requests,
                        seconds=args.seconds / args.rounds,
                        concurrency=args.concurrency,
                        **job,
                    )
                )
        peak, baseline = combine(rounds["intake"]), combine(rounds["bare"])
        paced = run_load(
            pool,
            args.clients,
            mode="paced",
            rate=peak["rate"] / 2,
            seconds=args.paced_seconds,
            **intake_job,
        )
        outbox_rows = asyncio.run(
            outbox_backlog(intake_db, bootstrap, records_before=records_before, wait_seconds=15)
        )
        report_intake(args, peak, paced, outbox_rows)
        report_bare(peak, baseline)


def combine(results: list[dict]) -> dict:
    statuses: dict[int, int] = {}
    for result in results:
        for status, count in result["statuses"].items():
            statuses[status] = statuses.get(status, 0) + count
    accepted = sum(result["accepted"] for result in results)
    elapsed = sum(result["elapsed"] for result in results)
    return {
        "accepted": accepted,
        "server_cpu_ms": 1000 * sum(result["server_cpu"] for result in results) / max(accepted, 1),
        "database_cpu_ms": 1000
        * sum(result["database_cpu"] for result in results)
        / max(accepted, 1),
        "statuses": statuses,
        "rate": accepted / elapsed,
        "elapsed": elapsed,
        "p50_ms": statistics.median(result["p50_ms"] for result in results),
        "p99_ms": max(result["p99_ms"] for result in results),
        "rates": [round(result["rate"]) for result in results],
    }


def cpu_per_request(combined: dict) -> str:
    return (
        f"server processes {combined['server_cpu_ms']:.2f} ms, "
        f"PostgreSQL processes {combined['database_cpu_ms']:.2f} ms"
    )


def report_bare(peak: dict, baseline: dict) -> None:
    print(
        f"(c) bare FastAPI validate+insert: {baseline['rate']:.0f} requests/s "
        f"(rounds {baseline['rates']}, p99 {baseline['p99_ms']:.1f} ms); "
        f"statuses {baseline['statuses']}"
    )
    print(f"(c) CPU per request: {cpu_per_request(baseline)}")
    if not baseline["rate"]:
        print("intake / bare: no request to the bare endpoint succeeded: FAIL", flush=True)
        return
    ratio = peak["rate"] / baseline["rate"]
    print(
        f"intake / bare = {100 * ratio:.0f} % (target >= 60 %): "
        f"{'PASS' if ratio >= 0.6 else 'FAIL'}",
        flush=True,
    )


def report_intake(args: argparse.Namespace, peak: dict, paced: dict, outbox_rows: tuple) -> None:
    print(
        f"cpus: {os.cpu_count()}, uvicorn workers: {args.workers}, clients: {args.clients}, "
        f"concurrency: {args.concurrency}"
    )
    print(
        f"(a) intake accepted: {peak['accepted']} in {peak['elapsed']:.1f} s = "
        f"{peak['rate']:.0f} contacts/s (rounds {peak['rates']}, p50 {peak['p50_ms']:.1f} ms, "
        f"p99 {peak['p99_ms']:.1f} ms); statuses {peak['statuses']}"
    )
    print(f"(a) CPU per contact: {cpu_per_request(peak)}")
    print(
        f"(b) paced at {peak['rate'] / 2:.0f}/s for {args.paced_seconds:.0f} s: "
        f"{paced['accepted']} accepted, p50 {paced['p50_ms']:.1f} ms, "
        f"p99 {paced['p99_ms']:.1f} ms; statuses {paced['statuses']}"
    )
    published, pending = outbox_rows
    print(
        f"outbox: {published} events published to Kafka, {pending} pending 15 s after the load",
        flush=True,
    )


if __name__ == "__main__":
    main()
