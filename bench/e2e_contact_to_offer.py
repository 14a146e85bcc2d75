"""End-to-end benchmark: contact accepted by intake → case offered by routing (issue 3).

Starts its own Kafka broker and PostgreSQL cluster, runs intake and routing as real processes
(the e2e harness, ``tests/e2e/platform.py``, imported by path; only the two services needed
here are started), registers a chat adapter, hires enough available agents with enough chat
capacity that an agent is free for every case, then posts signed chat contacts open-loop
from several client processes, paced to ``--rate`` for ``--seconds``.

For each contact: from the 202 answer (wall clock in the client process, right after the
answer is read) to the ``switchboard.case.offered`` record of its case, timed two ways:
(1) when this script's Kafka consumer receives the record (primary), and (2) the record's
CreateTime (set by routing's producer). Baseline in the same run: plain Kafka messages
produced at the same rate on the same broker, from just before ``send`` to consumer receipt.
Target: p50 < 50 ms, p99 < 250 ms at 200 contacts/s. If the rate is not sustained, a second
phase runs at a lower rate (``--low-rate``, repeatable; by default half the achieved rate,
but at least a tenth of ``--rate``).
Loopback only; everything started here is stopped and the temp dir removed, even on error.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import importlib.util
import json
import math
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast
from urllib.parse import SplitResult, urlsplit

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from process_cpu import postmaster_of, process_table, tree_cpu
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.kafka import ensure_topics, make_producer

LOOPBACK = "127.0.0.1"
PLATFORM_FILE = Path(__file__).resolve().parents[1] / "tests" / "e2e" / "platform.py"
RUN = ("intake", "routing")
CHAT_SLOTS = 50  # the most a profile allows per channel
LANGUAGES = ["da", "de", "en", "fi", "fr", "nb", "pl", "sv", "und"]  # intake's + undetermined
OPENED, QUEUED = b"switchboard.case.opened", b"switchboard.case.queued"
OFFERED = b"switchboard.case.offered"
WATCHED = (OPENED, QUEUED, OFFERED)
TEXTS = [
    "Hej, jeg har stadig ikke modtaget min pakke, og ingen svarer på mine mails. Hjælp mig.",
    "Bonjour, ma commande n'est toujours pas arrivée et personne ne répond à mes messages.",
    "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na moje wiadomości.",
    "Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on nyt.",
    "Hello, my order still has not arrived and nobody answers my e-mails. Please help me.",
    "Guten Tag, meine Bestellung ist immer noch nicht angekommen und niemand antwortet mir.",
]


def _load_platform() -> Any:
    """``tests/e2e/platform.py`` as a module (by path: ``tests`` is no package)."""
    spec = importlib.util.spec_from_file_location("switchboard_e2e_platform", PLATFORM_FILE)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot load {PLATFORM_FILE}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


e2e = _load_platform()


# --- glue: the harness's Platform, with only intake and routing ------------------------------


def bench_policies() -> str:
    """The e2e policy's requirement, with an offer time-out longer than the run so that no
    offer expires (an expiry re-queues the case and sets its agent away)."""
    return """
policies:
  - name: bench-qualified
    steps: []
    fallback: 'support >= 5 and language == case.language and region == case.region'
    offer_timeout_seconds: 3600
"""


@dataclass
class BenchPlatform(e2e.Platform):  # type: ignore[misc,name-defined]
    """``Platform.start`` starts all four services; this starts intake and routing only, with
    the harness's settings except: intake with ``intake_workers`` uvicorn workers and its
    default adapter cache, log level WARNING, and the policy above."""

    intake_workers: int = 2

    def start(self, *, ready_timeout: float = 180.0) -> None:
        policies = self.workdir / "routing-policies.yaml"
        policies.write_text(bench_policies())
        ports = {name: e2e.free_port() for name in RUN}
        specific = {
            "intake": {"HTTP_WORKERS": str(self.intake_workers)},
            "routing": {
                "POLICIES_FILE": str(policies),
                "SYNC_SECONDS": "0.1",
            },
        }
        groups = {name: f"bench-{name}-{self.run_id}" for name in RUN}
        e2e.run_async(e2e.start_groups_at_end(self.kafka_bootstrap, list(groups.values())))
        venv_bin = Path(sys.executable).parent
        base = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        for name in RUN:
            prefix = f"SWITCHBOARD_{name.upper()}_"
            settings = {
                "DATABASE_URL": self.database_urls[name],
                "HTTP_HOST": LOOPBACK,
                "HTTP_PORT": str(ports[name]),
                "ENVIRONMENT": "test",
                "CONSUMER_GROUP": groups[name],
                "OUTBOX_POLL_SECONDS": "0.2",
                "TIMER_POLL_SECONDS": "0.1",
                "LOG_LEVEL": "WARNING",
                "JWT_SECRET": e2e.JWT_SECRET,
                **specific[name],
            }
            env = base | {prefix + key: value for key, value in settings.items()}
            env |= {"KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap, "PYTHONUNBUFFERED": "1"}
            service = e2e.Service(name, ports[name], env, self.workdir / f"{name}.log")
            self.services[name] = service
            service.start(venv_bin)
        self.wait_ready(ready_timeout)

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        waiting = set(self.services)
        with httpx.Client(timeout=2.0) as client:
            while waiting:
                for name in sorted(waiting):
                    service = self.services[name]
                    if not service.alive():
                        raise RuntimeError(f"{name} exited while starting:\n{service.tail()}")
                    with contextlib.suppress(httpx.TransportError):
                        if client.get(f"{service.url}/readyz").status_code == 200:
                            waiting.discard(name)
                if time.monotonic() > deadline:
                    raise RuntimeError(f"not ready after {timeout} s: {sorted(waiting)}")
                time.sleep(0.3)

    def stop(self, grace: float = 10.0) -> None:
        super().stop(grace)
        # Each service leads its own session: take down any worker its parent left behind.
        for service in self.services.values():
            if service.process is not None:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(service.process.pid, signal.SIGKILL)


# --- load generation (in client processes) ---------------------------------------------------
#
# The load generator shares the two CPUs with the system under test, so it does as little as
# it can while the clock runs: every request (body, signature, HTTP/1.1 framing) is built
# before the phase starts, and a minimal keep-alive HTTP/1.1 client on uvloop sends the
# prepared bytes and reads the answer (httpx costs several times more CPU per request).


def chat_body(index: int) -> bytes:
    token = uuid.uuid4().hex
    return json.dumps(
        {
            "session_id": f"s-{token}",
            "message_id": "1",
            "visitor": {"id": f"v-{token}"},
            "message": TEXTS[index % len(TEXTS)],
        }
    ).encode()


def signed_request(url: SplitResult, secret: str, body: bytes, due: float) -> bytes:
    """One complete HTTP/1.1 POST of a signed webhook, ready to write to a socket. It is
    stamped with the time it is due, as if signed then, so that runs of any length stay
    inside intake's replay window."""
    at = datetime.fromtimestamp(due, UTC)
    headers = {
        "host": url.netloc,
        "content-type": "application/json",
        "content-length": str(len(body)),
        **e2e.standard_webhook_headers(secret, body, at=at),
    }
    head = f"POST {url.path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return (head + "\r\n").encode("latin-1") + body


class HttpError(Exception):
    """A malformed or cut-short answer."""


class _Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection carrying one request at a time. An answer is
    complete when its head and its Content-Length (or chunked) body are in; its time is taken
    right then, in the callback that read its last bytes."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.closed = False
        self.reusable = True
        self._buffer = bytearray()
        self._waiter: asyncio.Future[tuple[int, bytes, float]] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is no subclass

    def connection_lost(self, error: Exception | None) -> None:
        self.closed = True
        if self._waiter is not None and not self._waiter.done():
            if self._buffer and self._parse(eof=True):
                return
            self._waiter.set_exception(error or ConnectionResetError("closed by the server"))

    def data_received(self, data: bytes) -> None:
        self._buffer += data
        if self._waiter is not None and not self._waiter.done():
            self._parse(eof=False)

    def request(self, data: bytes) -> asyncio.Future[tuple[int, bytes, float]]:
        assert self.transport is not None
        assert self._waiter is None
        self._waiter = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return self._waiter

    def done(self) -> None:
        self._waiter = None

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    def _parse(self, *, eof: bool) -> bool:
        """Complete the waiter if the buffer holds a whole answer."""
        assert self._waiter is not None
        buffer = self._buffer
        end = buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        lines = bytes(buffer[:end]).decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError):
            self._waiter.set_exception(HttpError(f"bad status line {lines[0]!r}"))
            self.reusable = False
            return True
        fields = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            fields[name.strip().lower()] = value.strip().lower()
        start = end + 4
        if "content-length" in fields:
            stop = start + int(fields["content-length"])
            if len(buffer) < stop:
                return False
            body = bytes(buffer[start:stop])
        elif "chunked" in fields.get("transfer-encoding", ""):
            chunked = self._dechunk(start)
            if chunked is None:
                return False
            body, stop = chunked
        elif status in (204, 304) or status < 200:
            body, stop = b"", start
        elif not eof:
            return False  # delimited by the end of the connection
        else:
            body, stop = bytes(buffer[start:]), len(buffer)
        answered = time.time()
        del buffer[:stop]
        if fields.get("connection") == "close" or eof:
            self.reusable = False
        self._waiter.set_result((status, body, answered))
        return True

    def _dechunk(self, start: int) -> tuple[bytes, int] | None:
        buffer, parts, at = self._buffer, [], start
        while True:
            eol = buffer.find(b"\r\n", at)
            if eol < 0:
                return None
            size = int(bytes(buffer[at:eol]).split(b";")[0], 16)
            if size == 0:
                trailer = buffer.find(b"\r\n\r\n", eol)
                if trailer < 0:
                    return None
                return b"".join(parts), trailer + 4
            if len(buffer) < eol + 2 + size + 2:
                return None
            parts.append(bytes(buffer[eol + 2 : eol + 2 + size]))
            at = eol + 2 + size + 2


class ConnectionPool:
    """Up to ``limit`` connections to one server; requests beyond wait (FIFO) for a free one,
    as httpx's pool does. Idle connections are reused round-robin, so none idles long enough
    for the server's keep-alive time-out."""

    def __init__(self, host: str, port: int, limit: int) -> None:
        self.host, self.port, self.limit = host, port, limit
        self._idle: collections.deque[_Connection] = collections.deque()
        self._waiting: collections.deque[asyncio.Future[_Connection | None]] = collections.deque()
        self._open = 0

    async def acquire(self) -> _Connection:
        while self._idle:
            connection = self._idle.popleft()
            if not connection.closed:
                return connection
            self._open -= 1
        if self._open >= self.limit:
            waiter = asyncio.get_running_loop().create_future()
            self._waiting.append(waiter)
            try:
                handed = await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    # Handed over (or a slot freed) just as we were cancelled: pass it on.
                    if (handed := waiter.result()) is not None:
                        self.release(handed)
                    else:
                        self._wake(None)
                raise
            if handed is not None:
                return handed
        self._open += 1
        try:
            async with asyncio.timeout(30.0):
                _, connection = await asyncio.get_running_loop().create_connection(
                    _Connection, self.host, self.port
                )
        except BaseException:
            self._open -= 1
            self._wake(None)
            raise
        return connection

    def release(self, connection: _Connection) -> None:
        connection.done()
        if connection.closed or not connection.reusable:
            connection.close()
            self._open -= 1
            self._wake(None)  # a waiter may open a new one
        elif not self._wake(connection):
            self._idle.append(connection)

    def _wake(self, connection: _Connection | None) -> bool:
        while self._waiting:
            waiter = self._waiting.popleft()
            if not waiter.done():
                waiter.set_result(connection)
                return True
        return False

    def close(self) -> None:
        while self._idle:
            self._idle.popleft().close()


def client_process(job: dict[str, Any]) -> dict[str, Any]:
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, at some more CPU per request
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_client(job))


async def _client(job: dict[str, Any]) -> dict[str, Any]:
    """Open loop: contact ``i`` is due at ``start + offset + i / rate`` (wall clock); its
    request is written then (or as soon as one of ``connections`` is free) whatever the state
    of earlier ones. ``sent`` is taken right before the request is written, ``answered`` as
    soon as the whole answer is read; ``cpu_seconds`` is this process's CPU over the run."""
    url, secret, rate = urlsplit(job["url"]), job["secret"], float(job["rate"])
    start, seconds = float(job["start"]), float(job["seconds"])
    begin = start + float(job["offset"])
    schedule = [
        begin + index / rate
        for index in range(int(rate * seconds))
        if begin + index / rate <= start + seconds
    ]
    requests = [
        signed_request(url, secret, chat_body(index + int(job["offset_index"])), due)
        for index, due in enumerate(schedule)
    ]
    results: list[tuple[str | None, int, float, float, float]] = []
    errors: dict[str, int] = {}
    pool = ConnectionPool(url.hostname or LOOPBACK, url.port or 80, int(job["connections"]))

    async def one(request: bytes, due: float) -> None:
        sent = 0.0
        try:
            connection = await pool.acquire()  # no time limit here, as httpx's pool=None
            try:
                async with asyncio.timeout(30.0):
                    sent = time.time()
                    status, body, answered = await connection.request(request)
            except BaseException:
                connection.reusable = False
                raise
            finally:
                pool.release(connection)
            case_id = json.loads(body).get("case_id") if status == 202 else None
        except Exception as error:  # counted by kind, as status 0
            errors[type(error).__name__] = errors.get(type(error).__name__, 0) + 1
            answered, status, case_id = time.time(), 0, None
        results.append((case_id, status, due, sent or answered, answered))

    cpu_before = time.process_time()
    tasks = []
    for request, due in zip(requests, schedule, strict=True):
        delay = due - time.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(request, due)))
    issued = len(tasks)
    late: set[asyncio.Task[None]] = set()
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=float(job["drain_seconds"]))
    for task in late:
        task.cancel()
    await asyncio.gather(*late, return_exceptions=True)
    pool.close()
    return {
        "results": results,
        "issued": issued,
        "abandoned": len(late),
        "errors": errors,
        "cpu_seconds": time.process_time() - cpu_before,
    }


# --- measuring on Kafka ----------------------------------------------------------------------


async def partitions_of(bootstrap: str, topic: str) -> list[TopicPartition]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return [TopicPartition(topic, p["partition"]) for p in described["partitions"]]


class OfferWatch:
    """Reads ``switchboard.cases`` and ``switchboard.assignments`` from their current ends; for
    each case, the first ``case.offered`` record (and, for the breakdown, ``case.opened`` and
    ``case.queued``): (consumer receipt, wall clock; record CreateTime)."""

    def __init__(self, bootstrap: str) -> None:
        self.consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
        )
        self.bootstrap = bootstrap
        self.seen: dict[bytes, dict[str, tuple[float, float]]] = {t: {} for t in WATCHED}
        self.offered = self.seen[OFFERED]
        self.records = 0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> OfferWatch:
        assigned = [
            *await partitions_of(self.bootstrap, CASES.name),
            *await partitions_of(self.bootstrap, ASSIGNMENTS.name),
        ]
        await self.consumer.start()
        self.consumer.assign(assigned)
        await self.consumer.seek_to_end(*assigned)
        for tp in assigned:
            await self.consumer.position(tp)
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.consumer.stop()

    async def _run(self) -> None:
        while True:
            batch = await self.consumer.getmany(timeout_ms=100)
            received = time.time()
            for records in batch.values():
                for record in records:
                    self.records += 1
                    seen = self.seen.get(dict(record.headers).get("ce_type", b""))
                    if seen is None:
                        continue
                    case_id = json.loads(record.value)["case_id"]
                    seen.setdefault(case_id, (received, record.timestamp / 1000))

    async def wait_for(self, case_ids: set[str], *, quiet: float, limit: float) -> None:
        """Until every case is offered, no new offer came for ``quiet`` s, or ``limit`` s."""
        deadline = time.monotonic() + limit
        last, last_change = -1, time.monotonic()
        while time.monotonic() < deadline:
            done = len(case_ids.intersection(self.offered))
            if done == len(case_ids):
                return
            if done != last:
                last, last_change = done, time.monotonic()
            elif time.monotonic() - last_change > quiet:
                return
            await asyncio.sleep(0.1)


async def kafka_baseline(bootstrap: str, rate: float, seconds: float) -> list[float]:
    """Plain 1 KB messages at ``rate``/s: just before ``send`` → consumer receipt, with the
    services' producer settings and the same consumer settings as ``OfferWatch``."""
    topic = f"bench-baseline-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic], partitions=3)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False
    )
    producer = make_producer(bootstrap)
    await consumer.start()
    await producer.start()
    sent: dict[bytes, float] = {}
    latencies: list[float] = []
    total = int(rate * seconds)
    try:
        partitions = await partitions_of(bootstrap, topic)
        consumer.assign(partitions)
        await consumer.seek_to_end(*partitions)
        for tp in partitions:
            await consumer.position(tp)

        async def consume() -> None:
            while len(latencies) < total:
                batch = await consumer.getmany(timeout_ms=100)
                received = time.time()
                for records in batch.values():
                    for record in records:
                        if record.key in sent:
                            latencies.append(received - sent[record.key])

        consuming = asyncio.create_task(consume())
        value, start = b"y" * 1024, time.time()
        for index in range(total):
            delay = start + index / rate - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            key = f"m-{index}".encode()
            sent[key] = time.time()
            await producer.send(topic, value=value, key=key)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(consuming, 30)
    finally:
        await producer.stop()
        await consumer.stop()
    return latencies


# --- a phase ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def stats_ms(values: list[float]) -> str:
    if not values:
        return "n/a (none)"
    return (
        f"p50 {1000 * percentile(values, 0.5):7.1f} ms  p99 {1000 * percentile(values, 0.99):7.1f}"
        f" ms  max {1000 * max(values):7.1f} ms  (n={len(values)})"
    )


HISTOGRAMS = {
    "switchboard_consumer_fetch_delay_seconds": "record → fetched by routing's consumer",
    "switchboard_consumer_transaction_seconds": "routing consumer transaction",
    "switchboard_outbox_publish_delay_seconds": "routing outbox write → Kafka ack",
}
Histograms = dict[str, tuple[list[tuple[float, float]], float]]
"""name → (cumulative bucket counts by upper bound, sum), summed over label sets."""


async def scrape_histograms(platform: Any) -> Histograms:
    """Routing's own latency histograms from its /metrics."""
    async with httpx.AsyncClient(timeout=10.0) as http:
        answer = await http.get(f"{platform.url('routing')}/metrics")
    found: Histograms = {}
    for family in text_string_to_metric_families(answer.text):
        if family.name + "_seconds" not in HISTOGRAMS and family.name not in HISTOGRAMS:
            continue
        name = family.name if family.name in HISTOGRAMS else family.name + "_seconds"
        buckets: dict[float, float] = {}
        total = 0.0
        for sample in family.samples:
            if sample.name.endswith("_bucket"):
                bound = float(sample.labels["le"])
                buckets[bound] = buckets.get(bound, 0.0) + sample.value
            elif sample.name.endswith("_sum"):
                total += sample.value
        found[name] = (sorted(buckets.items()), total)
    return found


def histogram_text(before: Histograms, after: Histograms, name: str) -> str:
    """Mean and p50/p99 (interpolated within buckets) of what was observed in between."""
    if name not in after:
        return "n/a"
    old = dict(before.get(name, ([], 0.0))[0])
    cumulative = [(bound, count - old.get(bound, 0.0)) for bound, count in after[name][0]]
    count = cumulative[-1][1] if cumulative else 0.0
    if count <= 0:
        return "n/a (none)"
    mean = (after[name][1] - before.get(name, ([], 0.0))[1]) / count

    def quantile(q: float) -> float:
        lower_bound, lower_count = 0.0, 0.0
        for bound, seen in cumulative:
            if seen >= q * count:
                if math.isinf(bound):
                    return lower_bound
                share = (q * count - lower_count) / max(seen - lower_count, 1e-9)
                return lower_bound + share * (bound - lower_bound)
            lower_bound, lower_count = bound, seen
        return lower_bound

    return (
        f"mean {1000 * mean:6.1f} ms  p50 ~{1000 * quantile(0.5):6.1f} ms  "
        f"p99 ~{1000 * quantile(0.99):6.1f} ms  (n={count:.0f})"
    )


def cpu_by_part(parts: dict[str, int | None]) -> dict[str, float]:
    """CPU seconds so far of each named process tree."""
    processes = process_table()
    return {name: tree_cpu(processes, pid) for name, pid in parts.items() if pid is not None}


def load_text() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


async def analyze(platform: Any) -> None:
    """Statistics for the fresh tables, as any database in service has: without them,
    until autovacuum's first ANALYZE a minute in, plans scan the small new tables."""
    for url in platform.database_urls.values():
        engine = create_async_engine(url)
        try:
            async with engine.connect() as connection:
                await connection.execute(text("ANALYZE"))
        finally:
            await engine.dispose()


async def hire_agents(platform: Any, region: str, count: int, label: str) -> None:
    async with httpx.AsyncClient(timeout=30.0) as http:
        routing = e2e.Routing(platform, http)
        profile = {
            "region": region,
            "languages": LANGUAGES,
            "skills": {"support": 8},
            "capacity": {"chat": CHAT_SLOTS, "email": CHAT_SLOTS},
        }
        slug = "-".join(label.split())
        ids = [f"agent-{slug}-{i}-{platform.run_id}" for i in range(count)]
        for chunk in range(0, count, 16):
            part = ids[chunk : chunk + 16]
            await asyncio.gather(*(routing.hire(agent, **profile) for agent in part))
            await asyncio.gather(*(routing.available(agent) for agent in part))


async def run_phase(
    *,
    pool: Any,
    platform: Any,
    watch: OfferWatch,
    adapter: Any,
    rate: float,
    seconds: float,
    clients: int,
    connections: int,
    label: str,
    cpu_parts: dict[str, int | None],
) -> dict[str, Any]:
    needed = math.ceil(rate * seconds * 1.2 / CHAT_SLOTS) + 2
    await hire_agents(platform, platform.regions.nordics, needed, label)
    await asyncio.sleep(1.0)  # routing syncs the new agents into its engine
    url = f"{platform.url('intake')}/v1/adapters/{adapter.id}/contacts/{adapter.channel}"
    start = time.time() + 2.0  # every client process is up and waiting by then
    jobs = [
        {
            "url": url,
            "secret": adapter.secret,
            "rate": rate / clients,
            "offset": k / rate,  # interleave the clients' schedules
            "offset_index": k,
            "start": start,
            "seconds": seconds,
            "connections": connections,
            "drain_seconds": 30.0,
        }
        for k in range(clients)
    ]
    load_before = load_text()
    histograms_before = await scrape_histograms(platform)
    cpu_before = cpu_by_part(cpu_parts)
    outcome = await asyncio.to_thread(pool.map, client_process, jobs)
    cpu_after = cpu_by_part(cpu_parts)
    load_after = load_text()
    results = [row for part in outcome for row in part["results"]]
    issued = sum(part["issued"] for part in outcome)
    abandoned = sum(part["abandoned"] for part in outcome)
    errors: dict[str, int] = {}
    for part in outcome:
        for kind, count in part["errors"].items():
            errors[kind] = errors.get(kind, 0) + count
    accepted = [row for row in results if row[1] == 202 and row[0]]
    statuses: dict[int, int] = {}
    for row in results:
        statuses[row[1]] = statuses.get(row[1], 0) + 1
    case_ids = {row[0] for row in accepted}
    await watch.wait_for(case_ids, quiet=10.0, limit=60.0)
    histograms_after = await scrape_histograms(platform)
    by_receipt, by_record, negative = [], [], 0
    opened, queued, offered = (watch.seen[t] for t in WATCHED)
    steps: dict[str, list[float]] = {"opened": [], "queued": [], "offered": []}
    for case_id, _status, _due, _sent, answered in accepted:
        if case_id in offered:
            received, stamped = offered[case_id]
            by_receipt.append(received - answered)
            by_record.append(stamped - answered)
            negative += received < answered
            if case_id in opened and case_id in queued:
                steps["opened"].append(opened[case_id][1] - answered)
                steps["queued"].append(queued[case_id][1] - opened[case_id][1])
                steps["offered"].append(stamped - queued[case_id][1])
    last_answer = max((row[4] for row in accepted), default=start)
    span = max(last_answer - start, 1e-9)
    return {
        "label": label,
        "rate": rate,
        "seconds": seconds,
        "agents": needed,
        "issued": issued,
        "abandoned": abandoned,
        "errors": errors,
        "accepted": len(accepted),
        "cases": len(case_ids),
        "statuses": statuses,
        "achieved": len(accepted) / span,
        "span": span,
        "offered": len(case_ids.intersection(watch.offered)),
        "by_receipt": by_receipt,
        "by_record": by_record,
        "negative": negative,
        "steps": steps,
        "answer": [row[4] - row[3] for row in accepted],
        "lateness": [row[4] - row[2] for row in accepted],
        "load_before": load_before,
        "cpu_ms_per_contact": {
            name: 1000 * (cpu_after[name] - cpu_before[name]) / max(len(accepted), 1)
            for name in cpu_after
            if name in cpu_before
        },
        "histograms": {
            name: histogram_text(histograms_before, histograms_after, name) for name in HISTOGRAMS
        },
        "load_after": load_after,
    }


def report(phase: dict[str, Any], baseline: list[float]) -> None:
    print(
        f"\n== phase {phase['label']}: target {phase['rate']:.0f} contacts/s for "
        f"{phase['seconds']:.0f} s ({phase['agents']} agents x {CHAT_SLOTS} chat slots)"
    )
    print(f"   load before: {phase['load_before']}")
    print(f"   load after:  {phase['load_after']}")
    print(
        f"   posted {phase['issued']}, answered 202: {phase['accepted']} ({phase['cases']} cases), "
        f"statuses {phase['statuses']} (0: {phase['errors'] or 'none'}), "
        f"still unanswered 30 s after the last send (cancelled): {phase['abandoned']}"
    )
    sustained = phase["achieved"] >= 0.9 * phase["rate"]
    print(
        f"   achieved accept rate: {phase['achieved']:.1f} contacts/s over {phase['span']:.1f} s "
        f"({'sustained' if sustained else 'NOT sustained'})"
    )
    print(f"   offered (case.offered seen on Kafka): {phase['offered']} of {phase['cases']} cases")
    print(f"   POST → 202 (client):                      {stats_ms(phase['answer'])}")
    print(f"   scheduled → 202 (open-loop lateness):     {stats_ms(phase['lateness'])}")
    print(f"   202 → case.offered, consumer receipt:     {stats_ms(phase['by_receipt'])}")
    print(f"   202 → case.offered, record CreateTime:    {stats_ms(phase['by_record'])}")
    steps = phase["steps"]
    print(
        f"   breakdown by CreateTime: 202 → case.opened (intake relay): {stats_ms(steps['opened'])}"
    )
    print(f"     case.opened → case.queued (routing consumer): {stats_ms(steps['queued'])}")
    print(f"     case.queued → case.offered (router):          {stats_ms(steps['offered'])}")
    cpu = phase["cpu_ms_per_contact"]
    print(
        "   CPU per accepted contact over the paced load: "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())
        + f" (sum {sum(cpu.values()):.2f} ms)"
    )
    print("   routing's own histograms (/metrics, this phase):")
    for name, label in HISTOGRAMS.items():
        print(f"     {label + ':':42} {phase['histograms'][name]}")
    if phase["negative"]:
        print(
            f"   ({phase['negative']} offers reached the consumer before the client read its 202)"
        )
    if phase["by_receipt"] and baseline:
        p50, p99 = percentile(phase["by_receipt"], 0.5), percentile(phase["by_receipt"], 0.99)
        b50, b99 = percentile(baseline, 0.5), percentile(baseline, 0.99)
        verdict = "PASS" if p50 < 0.050 and p99 < 0.250 else "FAIL"
        print(
            f"   vs baseline: p50 {p50 / b50:.1f}x, p99 {p99 / b99:.1f}x of plain produce→consume; "
            f"target p50 < 50 ms, p99 < 250 ms: {verdict}"
            + ("" if sustained else " (at the achieved rate, not the target)")
        )


async def bench(args: argparse.Namespace, stack: ExitStack) -> None:
    tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="sb-e2e-offer-")))
    tmp.chmod(0o755)  # PostgreSQL runs as an unprivileged user when we are root
    fsync = "fsync off" if args.no_fsync else "durable"
    print(f"cpus: {os.cpu_count()}; PostgreSQL {fsync}; {load_text()}", flush=True)
    broker = KafkaBroker(tmp / "kafka")
    stack.callback(broker.stop)
    cluster = PostgresCluster(tmp / "pg", durable=not args.no_fsync)
    stack.callback(cluster.stop)
    await asyncio.gather(asyncio.to_thread(broker.start), asyncio.to_thread(cluster.start))
    urls = {name: cluster.create_database(f"bench_{name}") for name in RUN}
    workdir = tmp / "platform"
    workdir.mkdir()
    platform = BenchPlatform(broker.bootstrap_servers, urls, workdir)
    platform.intake_workers = args.intake_workers
    stack.callback(platform.stop)
    try:
        await asyncio.to_thread(platform.start)
    except Exception:
        print(platform.tails(), file=sys.stderr)
        raise
    print(
        f"broker {broker.bootstrap_servers}, PostgreSQL {LOOPBACK}:{cluster.port}, "
        f"intake {platform.url('intake')} ({args.intake_workers} workers), "
        f"routing {platform.url('routing')}",
        flush=True,
    )
    pool = stack.enter_context(multiprocessing.get_context("spawn").Pool(args.clients))
    async with httpx.AsyncClient(timeout=30.0) as http:
        adapter = await e2e.Intake(platform, http).register("chat", platform.regions.nordics)

    baseline = await kafka_baseline(broker.bootstrap_servers, args.rate, args.baseline_seconds)
    print(
        f"baseline, plain Kafka produce → consume at {args.rate:.0f} msg/s: {stats_ms(baseline)}",
        flush=True,
    )
    async with OfferWatch(broker.bootstrap_servers) as watch:
        common = {
            "pool": pool,
            "platform": platform,
            "watch": watch,
            "adapter": adapter,
            "clients": args.clients,
            "connections": args.connections,
            "cpu_parts": {
                "intake": platform.services["intake"].process.pid,
                "routing": platform.services["routing"].process.pid,
                "PostgreSQL": postmaster_of(cluster.port),
                "Kafka": broker.pid,
            },
        }
        # Warm-up: each intake worker builds its language detector on first use.
        warm = await run_phase(rate=10, seconds=3, label="warm-up", **common)
        print(f"warm-up: {warm['accepted']} accepted, {warm['offered']} offered", flush=True)
        await analyze(platform)
        target = await run_phase(rate=args.rate, seconds=args.seconds, label="target", **common)
        report(target, baseline)
        lower = list(args.low_rate or [])
        if not lower and target["achieved"] < 0.9 * args.rate:
            lower = [max(args.rate / 10, round(target["achieved"] / 2))]
        for low in lower:
            await asyncio.sleep(3.0)
            slow = await run_phase(rate=low, seconds=args.seconds, label="lower rate", **common)
            report(slow, baseline)
    dead = [name for name, service in platform.services.items() if not service.alive()]
    if dead:
        print(f"services that died during the run: {dead}\n{platform.tails()}")
    if args.keep_logs:
        args.keep_logs.mkdir(parents=True, exist_ok=True)
        for service in platform.services.values():
            shutil.copy(service.log_path, args.keep_logs / service.log_path.name)
    print(f"\nend: {load_text()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=200.0, help="contacts per second")
    parser.add_argument("--seconds", type=float, default=15.0, help="paced load per phase")
    parser.add_argument(
        "--low-rate", type=float, action="append", help="lower rate(s) to run as well"
    )
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument("--connections", type=int, default=16, help="per client process")
    parser.add_argument(
        "--intake-workers",
        type=int,
        default=1,
        help="uvicorn workers for intake (one fits a 2-core machine that also runs PostgreSQL, "
        "Kafka, routing and the load; the intake bench measures two)",
    )
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument(
        "--no-fsync", action="store_true", help="PostgreSQL with fsync=off, as the e2e tests run"
    )
    parser.add_argument("--keep-logs", type=Path, help="copy the services' logs here at the end")
    args = parser.parse_args()

    def interrupted(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, interrupted)
    with ExitStack() as stack:
        asyncio.run(bench(args, stack))


if __name__ == "__main__":
    main()
