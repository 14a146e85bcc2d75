"""Replies that reach the customer, and reading a conversation, as production runs them.

Intake is ``switchboard-intake serve`` (production settings, ``--workers`` uvicorn worker
processes as ``HTTP_WORKERS`` sets them — 2, as intake_accept runs it — each with the relay
to a real Kafka broker and the reply sender as its worker), started by the launcher's
process wrapper on a private PostgreSQL. A chat adapter registers with its outbound address:
an HTTP receiver in this process on loopback that verifies each request's signature and
notes when it arrived. Cases are opened by signed contacts and assigned to one agent through
routing's CaseAssigned events on Kafka, as routing publishes them.

(a) replies: the agent's ``POST /v1/cases/{id}/replies`` open loop at ``--rate`` for
    ``--seconds`` (client processes of ``bench/load.py``), ``--runs`` times: from each
    request's due time to its arrival, signed, at the adapter's endpoint (p50, p99).
    Baseline, same run and rate: the same signed requests posted straight to the receiver.
(b) transcript: ``--messages`` messages stored (``--per-case`` per case, loaded in bulk
    as intake writes them), then ``GET /v1/cases/{id}/messages?limit=50`` of random cases
    at ``--read-rate`` for ``--seconds``: p50, p99. Baseline: the same page read straight
    from PostgreSQL by its index.
Targets: (a) p50 < 50 ms, p99 < 250 ms at 100 replies/s; (b) p99 < 20 ms at 1,000,000
messages stored.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import secrets
import statistics
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaProducer
from cryptography.fernet import Fernet
from infra import Infra, infrastructure
from load import HttpClient, Request, http_request, open_loop
from process_cpu import postmaster_of, process_table, tree_cpu
from standardwebhooks import Webhook
from stats import Distribution, over_runs

from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.events import CaseAssigned
from switchboard.contracts.events.explanation import (
    CandidateKind,
    DecisionTrigger,
    Explanation,
    RunnerUp,
    WonBy,
)
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.signatures import sign
from switchboard.launcher.processes import ServiceProcess, stop_all, wait_ready
from switchboard.servicekit.auth import Role, TokenVerifier
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.migrations import migrate

NAME = "replies_outbound"
AGENT = "agent-1"
TARGET_P50, TARGET_P99, TARGET_READ_P99 = 0.050, 0.250, 0.020
TEXT = "Hej! Tak for din besked. Din pakke er afsendt i dag og er hos dig i morgen."


# ------------------------------------------------------------------ the adapter's receiver


@dataclass
class Receiver:
    """The adapter's outbound endpoint: plain HTTP/1.1 keep-alive on loopback, every
    request's Standard Webhooks signature checked, its arrival time noted by webhook-id."""

    secret: str
    arrived: dict[str, float] = field(default_factory=dict)
    forged: int = 0
    port: int = field(default_factory=free_port)
    _server: asyncio.Server | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        """Also when it never started (intake was not ready): the real error stays shown."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/chat-out"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                at = time.time()
                try:
                    Webhook(self.secret).verify(body, headers)
                    self.arrived.setdefault(headers["webhook-id"], at)
                    status = b"204 No Content"
                except Exception:
                    self.forged += 1
                    status = b"401 Unauthorized"
                writer.write(b"HTTP/1.1 " + status + b"\r\ncontent-length: 0\r\n\r\n")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the receiver is stopping
        finally:
            writer.close()


# ------------------------------------------------------------------------ intake and cases


@dataclass
class Intake:
    process: ServiceProcess
    tokens: TokenVerifier
    http: HttpClient
    url: str
    postmaster: int | None

    def bearer(self, subject: str, role: Role) -> dict[str, str]:
        token = self.tokens.issue(subject=subject, role=role, ttl=timedelta(hours=6))
        return {"authorization": f"Bearer {token}"}


def intake_process(
    infra: Infra, database_url: str, jwt_secret: str, workers: int
) -> ServiceProcess:
    settings = {
        "DATABASE_URL": database_url,
        "HTTP_WORKERS": str(workers),
        "ENVIRONMENT": "production",
        "JWT_SECRET": jwt_secret,
        "ADAPTER_SECRET_KEYS": Fernet.generate_key().decode(),
        "ADAPTER_RATE_LIMIT": "",
        "LOG_LEVEL": "WARNING",
    }
    return infra.service("intake", settings, log="in.log")


async def open_cases(intake: Intake, adapter: dict, count: int) -> list[str]:
    """``count`` chat cases, one per visitor, opened by signed contacts."""
    cases = []
    for number in range(count):
        body = json.dumps(
            {
                "session_id": f"s-{number}",
                "visitor": {"id": f"v-{number}", "name": "Mette Jensen"},
                "message": "Hej, hvor er min pakke? Jeg har ventet i over en uge nu.",
            }
        ).encode()
        headers = sign(
            secret=adapter["secret"],
            webhook_id=uuid.uuid4().hex,
            body=body,
            at=datetime.now(UTC),
        )
        status, answer = await intake.http.send(
            "POST",
            f"/v1/adapters/{adapter['id']}/contacts/chat",
            body=body,
            headers={"content-type": "application/json", **headers},
        )
        if status != 202:
            raise RuntimeError(f"contact refused: {status} {answer[:300]!r}")
        cases.append(json.loads(answer)["case_id"])
    return cases


def assigned(case_id: str, at: datetime) -> CaseAssigned:
    return CaseAssigned(
        case_id=case_id,
        region="nordics",
        channel="chat",
        agent_id=AGENT,
        offer_id=uuid.uuid4().hex,
        assigned_at=at,
        enqueued_at=at,
        explanation=Explanation(
            trigger=DecisionTrigger.CASE_ARRIVED,
            policy_id="default",
            step_index=0,
            requirement="true",
            runner_up=RunnerUp(kind=CandidateKind.AGENT, won_by=WonBy.NONE, reason="bench"),
        ),
    )


async def assign_all(intake: Intake, bootstrap: str, case_ids: list[str]) -> None:
    """As routing would: CaseAssigned on the assignments topic; then wait until intake
    recorded the last one (its holder may read the conversation)."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=5)
    await producer.start()
    try:
        now = datetime.now(UTC)
        for case_id in case_ids:
            record = encode(Envelope(data=assigned(case_id, now), source="/switchboard/routing"))
            await producer.send(record.topic, record.value, key=record.key, headers=record.headers)
        await producer.flush()
    finally:
        await producer.stop()
    agent = intake.bearer(AGENT, Role.AGENT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        statuses = [
            (await intake.http.send("GET", f"/v1/cases/{c}/messages?limit=1", headers=agent))[0]
            for c in (case_ids[0], case_ids[-1])
        ]
        if statuses == [200, 200]:
            return
        await asyncio.sleep(0.2)
    raise RuntimeError(f"intake did not record the assignments in time: {statuses}")


# --------------------------------------------------------------------------- (a) replies


def reply_requests(intake: Intake, cases: list[str], rate: float, seconds: float) -> list[Request]:
    agent = intake.bearer(AGENT, Role.AGENT)
    body = json.dumps({"text": TEXT}).encode()
    start, count = time.time() + 1.0, int(rate * seconds)
    return [
        Request(
            http_request(
                "POST",
                f"{intake.url}/v1/cases/{cases[index % len(cases)]}/replies",
                body,
                {"content-type": "application/json", **agent},
            ),
            due=start + index / rate,
            tag=str(index),
        )
        for index in range(count)
    ]


@dataclass
class RepliesRun:
    to_adapter: list[float]
    """From each request's due time to its arrival at the adapter."""
    answered: list[float]
    """From each request's due time to intake's 202 (the part of it spent in the POST)."""
    intake_cpu_ms: float
    """Intake's CPU (its process tree) per reply over the run: the POST, the sending, the
    relay of its events."""
    database_cpu_ms: float


async def replies_run(
    intake: Intake, receiver: Receiver, cases: list[str], rate: float, seconds: float
) -> RepliesRun:
    requests = reply_requests(intake, cases, rate, seconds)
    pids = {"intake": intake.process.process.pid, "postgres": intake.postmaster}
    before = cpu_of(pids)
    result = await asyncio.to_thread(open_loop, intake.url, requests, clients=2, connections=32)
    accepted = {}
    for answer in result.answers:
        if answer.status != 202:
            raise RuntimeError(f"reply refused: {answer.status} {answer.body[:300]!r}")
        accepted[json.loads(answer.body)["reply_id"]] = answer.due
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not accepted.keys() <= receiver.arrived.keys():
        await asyncio.sleep(0.1)
    missing = accepted.keys() - receiver.arrived.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} replies never reached the adapter")
    after = cpu_of(pids)
    used = {name: 1000 * (after[name] - before[name]) / len(accepted) for name in pids}
    return RepliesRun(
        to_adapter=[receiver.arrived[reply_id] - due for reply_id, due in accepted.items()],
        answered=[answer.latency for answer in result.answers],
        intake_cpu_ms=used["intake"],
        database_cpu_ms=used["postgres"],
    )


def cpu_of(pids: dict[str, int | None]) -> dict[str, float]:
    table = process_table()
    return {name: tree_cpu(table, pid) if pid else float("nan") for name, pid in pids.items()}


async def baseline_run(receiver: Receiver, rate: float, seconds: float) -> list[float]:
    """The same signed request, posted straight to the adapter's endpoint."""
    body = json.dumps({"type": "switchboard.reply.outbound", "data": {"text": TEXT}})
    start, count = time.time() + 1.0, int(rate * seconds)
    requests = []
    for index in range(count):
        message_id = f"raw-{uuid.uuid4().hex}"
        at = datetime.now(UTC)
        headers = {
            "content-type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(at.timestamp())),
            "webhook-signature": Webhook(receiver.secret).sign(message_id, at, body),
        }
        data = http_request("POST", receiver.url, body.encode(), headers)
        requests.append(Request(data, due=start + index / rate, tag=message_id))
    result = await asyncio.to_thread(open_loop, receiver.url, requests, clients=2, connections=32)
    return [receiver.arrived[a.tag] - a.due for a in result.answers if a.tag in receiver.arrived]


# ------------------------------------------------------------------------ (b) transcript


async def store_messages(dsn: str, adapter_id: str, cases: int, per_case: int) -> list[str]:
    """Customers, cases held by the agent and their messages, in the rows intake writes."""
    now = datetime.now(UTC)
    case_ids = [f"stored-{index}" for index in range(cases)]
    connection = await asyncpg.connect(dsn)
    try:
        await connection.copy_records_to_table(
            "intake_customers",
            records=[(f"cust-{c}", "Mette Jensen", "nordics", None, False, now) for c in case_ids],
            columns=["id", "display_name", "region", "tier", "vip", "created_at"],
        )
        await connection.copy_records_to_table(
            "intake_cases",
            records=[
                (c, f"cust-{c}", "chat", "nordics", None, "open", 3, "da", None, now, now)
                for c in case_ids
            ],
            columns=[
                "id", "customer_id", "channel", "region", "department", "status",
                "priority", "language", "subject", "opened_at", "last_activity_at",
            ],
        )  # fmt: skip
        await connection.copy_records_to_table(
            "intake_case_holders",
            records=[(c, AGENT, now) for c in case_ids],
            columns=["case_id", "agent_id", "since"],
        )
        chunk = 100_000
        rows = ((case_id, number) for case_id in case_ids for number in range(per_case))
        batch: list[tuple] = []
        for case_id, number in rows:
            request = json.dumps(
                {"session_id": case_id, "visitor": {"id": case_id}, "message": TEXT}
            )
            batch.append(
                (
                    f"{case_id}-m{number}", case_id, f"cust-{case_id}", adapter_id, "chat",
                    "joined" if number else "opened", now - timedelta(seconds=per_case - number),
                    "da", 0.9, f"{case_id}-w{number}", f"chat:{case_id}", TEXT, request,
                )
            )  # fmt: skip
            if len(batch) == chunk:
                await _copy_contacts(connection, batch)
                batch = []
        if batch:
            await _copy_contacts(connection, batch)
        await connection.execute("VACUUM ANALYZE")
    finally:
        await connection.close()
    return case_ids


async def _copy_contacts(connection: asyncpg.Connection, batch: list[tuple]) -> None:
    await connection.copy_records_to_table(
        "intake_contacts",
        records=batch,
        columns=[
            "id", "case_id", "customer_id", "adapter_id", "channel", "outcome", "received_at",
            "language", "language_confidence", "webhook_id", "thread_ref", "text", "request",
        ],
    )  # fmt: skip


async def transcript_run(
    intake: Intake, cases: list[str], rate: float, seconds: float, rng: random.Random
) -> list[float]:
    agent = intake.bearer(AGENT, Role.AGENT)
    start, count = time.time() + 1.0, int(rate * seconds)
    requests = [
        Request(
            http_request(
                "GET", f"{intake.url}/v1/cases/{rng.choice(cases)}/messages?limit=50", b"", agent
            ),
            due=start + index / rate,
        )
        for index in range(count)
    ]
    result = await asyncio.to_thread(open_loop, intake.url, requests, clients=2, connections=16)
    bad = [a.status for a in result.answers if a.status != 200]
    if bad:
        raise RuntimeError(f"transcript reads failed: {bad[:5]}")
    if any(len(json.loads(a.body)["messages"]) != 50 for a in result.answers):
        raise RuntimeError("a transcript page did not hold 50 messages")
    return [a.latency for a in result.answers]


async def direct_reads(dsn: str, cases: list[str], count: int, rng: random.Random) -> list[float]:
    """Baseline: the page straight from PostgreSQL by its index (case, time, id)."""
    connection = await asyncpg.connect(dsn)
    times = []
    try:
        statement = await connection.prepare(
            "SELECT * FROM intake_contacts WHERE case_id = $1 ORDER BY received_at, id LIMIT 51"
        )
        for _ in range(count):
            began = time.perf_counter()
            await statement.fetch(rng.choice(cases))
            times.append(time.perf_counter() - began)
    finally:
        await connection.close()
    return times


# --------------------------------------------------------------------------------- main


async def bench(args: argparse.Namespace) -> None:
    rng = random.Random(2026)
    with infrastructure(prefix="bench-replies-") as infra:
        url = infra.database("intake")
        dsn = url.replace("postgresql+asyncpg://", "postgresql://")
        schema = DEFINITION.migrations
        await migrate(url, versions_dir=schema.versions_dir, metadata=schema.metadata)
        jwt_secret = secrets.token_urlsafe(48)
        process = intake_process(infra, url, jwt_secret, args.workers)
        process.start(Path(sys.executable).parent)
        receiver = Receiver(secret="")
        try:
            await asyncio.to_thread(wait_ready, [process], 120)
            intake = Intake(
                process,
                TokenVerifier(jwt_secret, "switchboard"),
                HttpClient(process.url),
                process.url,
                postmaster_of(infra.postgres_port) if infra.postgres_port else None,
            )
            admin = intake.bearer("bench", Role.ADMIN)
            await receiver.start()
            status, answer = await intake.http.post_json(
                "/v1/admin/adapters",
                {"id": "chat-out", "channel": "chat", "region": "nordics"},
                headers=admin,
            )
            if status != 201:
                raise RuntimeError(f"adapter not registered: {status} {answer[:300]!r}")
            adapter = json.loads(answer)
            receiver.secret = adapter["secret"]
            await intake.http.send(
                "PATCH",
                "/v1/admin/adapters/chat-out",
                body=json.dumps({"outbound_url": receiver.url}).encode(),
                headers={"content-type": "application/json", **admin},
            )
            cases = await open_cases(intake, adapter, args.cases)
            await assign_all(intake, infra.bootstrap, cases)
            print(f"{len(cases)} cases open and held by {AGENT}", flush=True)
            await replies_run(intake, receiver, cases, args.rate, min(args.seconds, 5))  # warm
            replies, baseline = [], []
            for number in range(1, args.runs + 1):
                run = await replies_run(intake, receiver, cases, args.rate, args.seconds)
                replies.append(run.to_adapter)
                baseline.append(await baseline_run(receiver, args.rate, args.seconds))
                print(
                    f"run {number}: reply accepted → at the adapter "
                    f"{Distribution.of(replies[-1]).ms()}; of which to the 202 "
                    f"{Distribution.of(run.answered).ms()}; CPU per reply: intake "
                    f"{run.intake_cpu_ms:.2f} ms, PostgreSQL {run.database_cpu_ms:.2f} ms; "
                    f"raw webhook "
                    f"{Distribution.of(baseline[-1]).ms()}",
                    flush=True,
                )
            if receiver.forged:
                raise RuntimeError(f"{receiver.forged} requests with a bad signature")

            began = time.perf_counter()
            stored = await store_messages(
                dsn, adapter["id"], args.messages // args.per_case, args.per_case
            )
            print(
                f"stored {len(stored) * args.per_case:,} messages in {len(stored):,} cases in "
                f"{time.perf_counter() - began:.1f} s",
                flush=True,
            )
            reads, direct = [], []
            for number in range(1, args.runs + 1):
                reads.append(
                    await transcript_run(intake, stored, args.read_rate, args.seconds, rng)
                )
                direct.append(await direct_reads(dsn, stored, 500, rng))
                print(
                    f"run {number}: transcript page of 50 over HTTP "
                    f"{Distribution.of(reads[-1]).ms()}; the same rows from PostgreSQL "
                    f"{Distribution.of(direct[-1]).ms()}",
                    flush=True,
                )
            intake.http.close()
        finally:
            await receiver.stop()
            stop_all([process])
    report(args, replies, baseline, reads, direct)


def report(
    args: argparse.Namespace,
    replies: list[list[float]],
    baseline: list[list[float]],
    reads: list[list[float]],
    direct: list[list[float]],
) -> None:
    def ms(runs: list[list[float]], pick: str) -> list[float]:
        return [getattr(Distribution.of(run), pick) * 1000 for run in runs]

    print(f"\n== over {args.runs} runs")
    print(f"(a) reply accepted → at the adapter, {args.rate:.0f} replies/s:")
    p50s, p99s = over_runs(ms(replies, "p50"), " ms"), over_runs(ms(replies, "p99"), " ms")
    print(f"    p50 {p50s}; p99 {p99s}")
    print(
        f"    baseline, signed request straight to the adapter: p50 "
        f"{over_runs(ms(baseline, 'p50'), ' ms')}; p99 {over_runs(ms(baseline, 'p99'), ' ms')}"
    )
    print(
        f"(b) transcript page of 50 at {args.messages:,} messages stored, {args.read_rate:.0f}/s:"
    )
    print(f"    p50 {over_runs(ms(reads, 'p50'), ' ms')}; p99 {over_runs(ms(reads, 'p99'), ' ms')}")
    print(
        f"    baseline, the rows from PostgreSQL: p50 {over_runs(ms(direct, 'p50'), ' ms')}; "
        f"p99 {over_runs(ms(direct, 'p99'), ' ms')}"
    )
    if args.smoke:
        return
    p50 = statistics.median(ms(replies, "p50")) / 1000
    p99 = statistics.median(ms(replies, "p99")) / 1000
    read99 = statistics.median(ms(reads, "p99")) / 1000
    mark = {True: "✓", False: "✗"}
    print(f"target reply p50 < 50 ms: {mark[p50 < TARGET_P50]}", end="; ")
    print(f"p99 < 250 ms: {mark[p99 < TARGET_P99]}")
    print(f"target transcript p99 < 20 ms: {mark[read99 < TARGET_READ_P99]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rate", type=float, default=100.0, help="replies per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="length of a run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="intake's HTTP_WORKERS")
    parser.add_argument("--cases", type=int, default=500, help="cases the replies go to")
    parser.add_argument("--messages", type=int, default=1_000_000, help="messages stored")
    parser.add_argument("--per-case", type=int, default=50)
    parser.add_argument("--read-rate", type=float, default=50.0, help="transcript reads/s")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.rate, args.seconds, args.runs, args.cases = 20.0, 2.0, 1, 10
        args.messages, args.read_rate = 5_000, 20.0
    print(f"cpus: {os.cpu_count()}; load average {os.getloadavg()[0]:.1f}", flush=True)
    try:
        asyncio.run(bench(args))
    except Exception as error:
        print(f"RESULT {NAME}: failed {type(error).__name__}: {error}")
        sys.exit(1)
    print(f"RESULT {NAME}: ok")


if __name__ == "__main__":
    main()
