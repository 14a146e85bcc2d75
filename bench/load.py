"""The one load generator of the benchmarks: prepared HTTP/1.1 requests sent by client
processes, open loop (each at its due time, whatever became of the earlier ones) or closed
loop (as fast as N connections allow).

The load generator shares the two CPUs with the system under test, so it does as little as
it can while the clock runs: every request (body, signature, framing) is built before the
run starts, and a minimal keep-alive HTTP/1.1 client on uvloop sends the prepared bytes and
reads the answer (httpx costs several times more CPU per request). Times are wall-clock
(``time.time()``), so they compare with Kafka record timestamps and across processes.

Shared by the benchmarks (each runs as a script, so this directory is on ``sys.path``).
"""

from __future__ import annotations

import asyncio
import collections
import json
import multiprocessing
import queue
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"


def http_request(
    method: str, url: str, body: bytes = b"", headers: Mapping[str, str] = {}
) -> bytes:
    """One complete HTTP/1.1 request, ready to write to a socket."""
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    fields = {"host": parts.netloc, "content-length": str(len(body)), **headers}
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in fields.items())
    return (head + "\r\n").encode("latin-1") + body


@dataclass(frozen=True)
class Request:
    data: bytes
    due: float = 0.0
    """Wall-clock time it is to be sent (open loop); 0 in a closed loop."""
    tag: str = ""
    """What the caller wants to know it by (a kind, an index)."""


@dataclass(frozen=True)
class Answer:
    tag: str
    status: int
    """0 when the request failed without an answer (see ``LoadResult.errors``)."""
    due: float
    sent: float
    answered: float
    body: bytes

    @property
    def latency(self) -> float:
        """From when it was due (open loop: queueing counts) or sent, to the answer."""
        return self.answered - (self.due or self.sent)

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class LoadResult:
    answers: list[Answer] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    abandoned: int = 0
    """Requests still unanswered when the drain time ran out."""
    client_cpu_seconds: float = 0.0
    elapsed: float = 0.0
    shifted_seconds: float = 0.0
    """How much later than planned an open loop started (its clients were late to start)."""

    def statuses(self) -> dict[int, int]:
        return dict(collections.Counter(answer.status for answer in self.answers))

    def rate(self, status: int) -> float:
        count = sum(1 for answer in self.answers if answer.status == status)
        return count / self.elapsed if self.elapsed else 0.0


def open_loop(
    url: str,
    requests: Sequence[Request],
    *,
    clients: int = 2,
    connections: int = 256,
    drain_seconds: float = 30.0,
) -> LoadResult:
    """Send each request at its ``due`` time from ``clients`` processes (round-robin)."""
    jobs = [
        {
            "url": url,
            "requests": list(requests[index::clients]),
            "mode": "open",
            "connections": max(1, connections // clients),
            "drain_seconds": drain_seconds,
        }
        for index in range(clients)
    ]
    return _run(jobs)


def closed_loop(
    url: str,
    requests: Sequence[Request],
    *,
    clients: int = 2,
    concurrency: int = 64,
    seconds: float = 20.0,
) -> LoadResult:
    """Keep ``concurrency`` requests in flight until ``seconds`` pass or none are left."""
    jobs = [
        {
            "url": url,
            "requests": list(requests[index::clients]),
            "mode": "closed",
            "connections": max(1, concurrency // clients),
            "seconds": seconds,
        }
        for index in range(clients)
    ]
    return _run(jobs)


START_LEAD_SECONDS = 0.25
"""After every client is ready, the first request goes out this much later at the earliest."""


def _run(jobs: list[dict[str, Any]]) -> LoadResult:
    """One process per job. Each starts (a spawned process imports the caller's script:
    seconds on a busy machine), says it is ready and waits; then all go at once. In an open
    loop, if the first request's due time has passed by then, every due time moves later by
    as much (the schedule keeps its shape; the clients' start-up is not counted as latency)."""
    context = multiprocessing.get_context("spawn")
    ready, go = context.Barrier(len(jobs) + 1), context.Barrier(len(jobs) + 1)
    shift = context.Value("d", 0.0)
    results = context.Queue()
    processes = [
        context.Process(target=_client_main, args=(job, ready, go, shift, results), daemon=True)
        for job in jobs
    ]
    for process in processes:
        process.start()
    try:
        ready.wait(timeout=300)
        dues = [r.due for job in jobs if job["mode"] == "open" for r in job["requests"]]
        if dues:
            shift.value = max(0.0, time.time() + START_LEAD_SECONDS - min(dues))
        go.wait(timeout=60)
        parts: list[LoadResult] = []
        while len(parts) < len(jobs):
            try:
                parts.append(results.get(timeout=1.0))
            except queue.Empty:
                if any(not p.is_alive() and p.exitcode not in (0, None) for p in processes):
                    raise RuntimeError("a load-generating process died") from None
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    result = LoadResult(shifted_seconds=shift.value)
    for part in parts:
        result.answers += part.answers
        for kind, count in part.errors.items():
            result.errors[kind] = result.errors.get(kind, 0) + count
        result.abandoned += part.abandoned
        result.client_cpu_seconds += part.client_cpu_seconds
        result.elapsed = max(result.elapsed, part.elapsed)
    return result


def _client_main(job: dict[str, Any], ready: Any, go: Any, shift: Any, results: Any) -> None:
    ready.wait()
    go.wait()
    if shift.value:
        job = job | {"requests": [replace(r, due=r.due + shift.value) for r in job["requests"]]}
    results.put(_client_process(job))


def _client_process(job: dict[str, Any]) -> LoadResult:
    try:
        import uvloop
    except ImportError:  # plain asyncio works too, at some more CPU per request
        loop_factory = None
    else:
        loop_factory = uvloop.new_event_loop
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        return runner.run(_client(job))


async def _client(job: dict[str, Any]) -> LoadResult:
    url = urlsplit(job["url"])
    pool = ConnectionPool(url.hostname or LOOPBACK, url.port or 80, int(job["connections"]))
    result = LoadResult()

    async def one(request: Request) -> None:
        sent = 0.0
        try:
            connection = await pool.acquire()
            try:
                async with asyncio.timeout(30.0):
                    sent = time.time()
                    status, body, answered = await connection.request(request.data)
            except BaseException:
                connection.reusable = False
                raise
            finally:
                pool.release(connection)
        except Exception as error:  # counted by kind, as status 0
            name = type(error).__name__
            result.errors[name] = result.errors.get(name, 0) + 1
            status, body, answered = 0, b"", time.time()
        result.answers.append(
            Answer(request.tag, status, request.due, sent or answered, answered, body)
        )

    cpu_before, started = time.process_time(), time.time()
    requests: list[Request] = job["requests"]
    if job["mode"] == "open":
        tasks = []
        for request in requests:
            delay = request.due - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(request)))
        late: set[asyncio.Task[None]] = set()
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=float(job["drain_seconds"]))
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        result.abandoned = len(late)
    else:
        pending = iter(requests)
        deadline = started + float(job["seconds"])

        async def worker() -> None:
            for request in pending:
                if time.time() > deadline:
                    return
                await one(request)

        await asyncio.gather(*(worker() for _ in range(int(job["connections"]))))
    pool.close()
    result.elapsed = time.time() - started
    result.client_cpu_seconds = time.process_time() - cpu_before
    return result


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


class HttpClient:
    """Requests from inside the benchmark's own process (agents, customers answering
    surveys) on the same light keep-alive connections as the load generator."""

    def __init__(self, base_url: str, *, connections: int = 32) -> None:
        parts = urlsplit(base_url)
        self.base_url = base_url.rstrip("/")
        self._pool = ConnectionPool(parts.hostname or LOOPBACK, parts.port or 80, connections)

    async def send(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        headers: Mapping[str, str] = {},
    ) -> tuple[int, bytes]:
        data = http_request(method, f"{self.base_url}{path}", body, headers)
        connection = await self._pool.acquire()
        try:
            async with asyncio.timeout(30.0):
                status, answer, _ = await connection.request(data)
        except BaseException:
            connection.reusable = False
            raise
        finally:
            self._pool.release(connection)
        return status, answer

    async def post_json(
        self, path: str, payload: Any = None, *, headers: Mapping[str, str] = {}
    ) -> tuple[int, bytes]:
        body = json.dumps(payload).encode() if payload is not None else b""
        merged = {"content-type": "application/json", **headers}
        return await self.send("POST", path, body=body, headers=merged)

    def close(self) -> None:
        self._pool.close()
