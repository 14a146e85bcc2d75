"""Sends queued deliveries, signed with Standard Webhooks by the recipient's secret, retried
with exponential backoff, dead after the policy's last attempt; every attempt logged.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (their next attempt moved past
the HTTP timeout) before any request goes out, so replicas never send the same attempt
twice; a replica that dies mid-request leaves the lease to expire and the row is retried.

A claimed batch is sent at once (each recipient's endpoint looked up once for the batch),
and its outcomes are recorded together in one transaction: the rows moved on with one
statement, the attempts logged with another. The stream's owner hears how each attempt
settled (``on_settled``, once with the batch's outcomes) in that transaction, so it can
publish events or change its own rows with it. Outcomes the database could not take (it is
away) are kept and recorded before anything new is claimed; if the process ends first, the
lease expires and the requests are sent again (receivers deduplicate by ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from prometheus_client import Counter
from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.deliveries.providers import ProviderEndpoint
from switchboard.servicekit.deliveries.queue import register_wakeup
from switchboard.servicekit.deliveries.schedule import (
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    Settled,
)
from switchboard.servicekit.deliveries.transports import Transported, TransportEndpoint
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.stalls import StallWatch
from switchboard.servicekit.tables import deliveries, delivery_attempts
from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)
DELIVERY_ATTEMPTS = Counter(
    "servicekit_delivery_attempts_total",
    "Outgoing HTTP delivery attempts, by stream and outcome",
    ["stream", "outcome"],
)
DELIVERIES_DEAD = Counter(
    "servicekit_deliveries_dead_total",
    "Outgoing deliveries given up after their last attempt (or refused for good), by stream",
    ["stream"],
)
ATTEMPT_TIMEOUTS = 2
"""No attempt takes longer than this many HTTP timeouts as a whole (connecting, sending and
a receiver that answers byte by byte), so a batch is recorded within its lease."""
IN_FLIGHT = 10
"""Requests of a batch in flight at once (a batch goes out in waves of these)."""
ANSWER_READ = 64 * 1024
"""Bytes of a recipient's answer read (so its connection can be reused); a longer answer
closes the connection instead."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    """The Standard Webhooks secret (``whsec_…``) the request is signed with."""


AnyEndpoint = Endpoint | ProviderEndpoint | TransportEndpoint
EndpointOf = Callable[[AsyncSession, str, str], Awaitable[AnyEndpoint | None]]
"""(session, stream, recipient) → where and how to send now (signed with a secret, or as a
provider's own request); None when the recipient has no endpoint any more (the attempt
fails)."""
OnSettled = Callable[[UnitOfWork[Any], Sequence[Settled]], Awaitable[None]]
"""Called once per recorded batch, in its transaction, with every outcome of it (so the
owner reads and writes its own rows for the whole batch in a few statements)."""


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


@dataclass(frozen=True)
class _Attempt:
    """One request made (or found impossible) for a claimed row, not yet recorded."""

    row: Any
    at: datetime
    status_code: int | None
    error: str | None
    ms: float
    answer: bytes = b""
    final: bool = False
    """A provider refused it for good: no further attempt."""
    wait: timedelta | None = None
    """How long the receiver asked to be left alone."""


_Recipient = tuple[str, str]
"""(stream, recipient)"""


class DeliverySender:
    def __init__(
        self,
        *,
        units: UnitsOfWork[Any],
        endpoint_of: EndpointOf,
        retry: RetryPolicy,
        on_settled: OnSettled | None = None,
        streams: tuple[str, ...] | None = None,
        timeout_seconds: float = 5.0,
        poll_seconds: float = 0.2,
        batch_size: int = 20,
        in_flight: int = IN_FLIGHT,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``streams``: only these streams' deliveries (all when None)."""
        self._units = units
        self._endpoint_of = endpoint_of
        self._retry = retry
        self._on_settled = on_settled
        self._streams = streams
        for stream in streams or ():  # 0s from the start: an alert's increase() sees the 1st
            DELIVERIES_DEAD.labels(stream)
            for outcome in ("delivered", "failed"):
                DELIVERY_ATTEMPTS.labels(stream, outcome)
        self._timeout = timeout_seconds
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._in_flight = asyncio.Semaphore(in_flight)
        waves = -(-batch_size // in_flight)
        self._lease = timedelta(seconds=timeout_seconds * (ATTEMPT_TIMEOUTS * waves + 1))
        """Long enough for every wave of a batch to take its longest and be recorded."""
        self._clock = clock
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        self._unrecorded: list[_Attempt] = []
        """Attempts made whose outcome the database has not taken yet (it was away)."""
        self.stall = StallWatch("delivery sender", first_pause=poll_seconds)
        register_wakeup(self)

    def http_client(self) -> aiohttp.ClientSession:
        """The client requests go out with: aiohttp (a tenth of httpx's CPU per request
        at ten in flight), no redirects followed, no cookies kept between recipients, no
        proxy from the environment, each step bounded by the timeout."""
        step = self._timeout
        return aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=step, sock_read=step),
            cookie_jar=aiohttp.DummyCookieJar(),
            trust_env=False,
            auto_decompress=False,
        )

    async def run(self) -> None:
        async with self.http_client() as client:
            while not self._stopping.is_set():
                sent = await self.stall.attempt(lambda: self.deliver_due(client))
                if (sent or 0) < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        pause = self.stall.pause(self._poll_seconds)
                        await asyncio.wait_for(self._woken.wait(), pause)
                    self._woken.clear()

    def stop(self) -> None:
        self._stopping.set()
        self._woken.set()

    def wake(self) -> None:
        """A delivery was queued: look now rather than at the next poll."""
        self._woken.set()

    async def deliver_due(self, client: aiohttp.ClientSession) -> int:
        """Send one claimed batch and record how it went; how many rows were claimed.
        Outcomes left over from a round the database failed are recorded first (this
        raises while it is still away, and claims nothing)."""
        if self._unrecorded:
            await self._settle(self._unrecorded)
        claimed = await self._claim()
        if not claimed:
            return 0
        endpoints = await self._endpoints(claimed)
        results = await asyncio.gather(
            *(
                self._attempt(client, row, endpoints[(row.stream, row.recipient)])
                for row in claimed
                if (row.stream, row.recipient) in endpoints
            ),
            return_exceptions=True,
        )
        made: list[_Attempt] = []
        for result in results:
            if isinstance(result, _Attempt):
                made.append(result)
            elif isinstance(result, Exception):
                log.error("a delivery attempt failed; sent again after its lease", exc_info=result)
            else:
                raise result
        if made:
            await self._settle(made)
        return len(claimed)

    async def _claim(self) -> list[Any]:
        now = self._clock()
        lease = now + self._lease
        query = (
            select(deliveries)
            .where(
                deliveries.c.status == DeliveryStatus.PENDING.value,
                deliveries.c.next_attempt_at <= now,
            )
            .order_by(deliveries.c.next_attempt_at, deliveries.c.id)
            .limit(self._batch_size)
            .with_for_update(skip_locked=True)
        )
        if self._streams is not None:
            query = query.where(deliveries.c.stream.in_(self._streams))
        async with self._units.begin() as uow:
            rows = list((await uow.session.execute(query)).all())
            if rows:
                await uow.session.execute(
                    update(deliveries)
                    .where(deliveries.c.id.in_([row.id for row in rows]))
                    .values(next_attempt_at=lease)
                )
        return rows

    async def _endpoints(self, claimed: Sequence[Any]) -> dict[_Recipient, AnyEndpoint | None]:
        """Each recipient's endpoint, looked up once for the batch in one session. A
        recipient whose look-up fails for a reason of its own is left out (its rows wait
        out their lease, as before); the database being away fails the batch (nothing sent,
        every row waits out its lease)."""
        found: dict[_Recipient, AnyEndpoint | None] = {}
        async with self._units.sessions() as session:
            for key in dict.fromkeys((row.stream, row.recipient) for row in claimed):
                try:
                    found[key] = await self._endpoint_of(session, *key)
                except Exception as error:
                    if is_transient(error):
                        raise
                    log.exception("looking up the endpoint of %s for %s failed", key[1], key[0])
                    await session.rollback()
        return found

    async def _attempt(
        self, client: aiohttp.ClientSession, row: Any, endpoint: AnyEndpoint | None
    ) -> _Attempt:
        async with self._in_flight:  # timed and signed from its turn, not from the claim
            return await self._request(client, row, endpoint)

    async def _request(
        self, client: aiohttp.ClientSession, row: Any, endpoint: AnyEndpoint | None
    ) -> _Attempt:
        started, at = time.perf_counter(), self._clock()
        if endpoint is None:
            missing = f"{row.recipient} has no endpoint for {row.stream} any more"
            return _Attempt(row, at=at, status_code=None, error=missing, ms=_ms_since(started))
        if isinstance(endpoint, TransportEndpoint):
            return await self._transport(row, endpoint, started=started, at=at)
        if isinstance(endpoint, ProviderEndpoint):
            headers = endpoint.request_headers()
        else:
            headers = signed_headers(
                secret=endpoint.secret, message_id=row.message_id, body=row.body, at=at
            )
        status_code: int | None = None
        error: str | None = None
        answer, retry_after = b"", None
        limit = self._timeout * ATTEMPT_TIMEOUTS
        try:
            async with (
                asyncio.timeout(limit),
                client.post(
                    endpoint.url, data=row.body.encode(), headers=headers, allow_redirects=False
                ) as response,
            ):
                status_code = response.status
                retry_after = response.headers.get("Retry-After")
                answer = await _answer_of(response)
            if not 200 <= status_code < 300:
                error = f"HTTP {status_code}"
        except aiohttp.ClientError as exc:
            # A provider's URL may hold its credential, and the client may print it in a
            # form of its own (normalised, encoded): only the error's kind is kept then.
            provider = isinstance(endpoint, ProviderEndpoint)
            error = type(exc).__name__ if provider else f"{type(exc).__name__}: {exc}"
        except TimeoutError:
            error = f"TimeoutError: no whole answer within {limit:g} s"
        final, wait = False, None
        if isinstance(endpoint, ProviderEndpoint) and error is not None:
            error = endpoint.redacted(error)
            if status_code is not None:
                wait = endpoint.wait_asked(status_code, answer, retry_after)
                final = wait is None and endpoint.gives_up_on(status_code)
        return _Attempt(
            row,
            at=at,
            status_code=status_code,
            error=error[:500] if error else None,
            ms=_ms_since(started),
            answer=answer,
            final=final,
            wait=wait,
        )

    async def _transport(
        self, row: Any, endpoint: TransportEndpoint, *, started: float, at: datetime
    ) -> _Attempt:
        limit = self._timeout * ATTEMPT_TIMEOUTS
        try:
            async with asyncio.timeout(limit):
                got = await endpoint.send(row.body)
        except TimeoutError:
            got = Transported(ok=False, error=f"TimeoutError: no whole answer within {limit:g} s")
        except Exception as exc:
            got = Transported(ok=False, error=f"{endpoint.name}: {type(exc).__name__}")
        error = None if got.ok else (got.error or f"{endpoint.name}: refused ({got.code})")
        return _Attempt(
            row,
            at=at,
            status_code=got.code,
            error=error[:500] if error else None,
            ms=_ms_since(started),
            answer=got.answer[:ANSWER_READ],
            final=got.final and not got.ok,
        )

    async def _settle(self, made: list[_Attempt]) -> None:
        """Record these outcomes in one transaction. Should that fail for a reason of its
        own (an owner's ``on_settled`` raising, say), each is recorded alone, so a bad one
        holds up only itself (it is logged and its row waits out its lease). What the
        database could not take because it is away is kept for the next round, and this
        raises."""
        self._unrecorded = made
        try:
            await self._record(made)
        except Exception as error:
            if is_transient(error) or len(made) == 1:
                if not is_transient(error):
                    self._unrecorded = []
                raise
            log.exception("recording %s delivery attempts together failed; one by one", len(made))
            for index, each in enumerate(made):
                try:
                    await self._record([each])
                except Exception as alone:
                    if is_transient(alone):
                        self._unrecorded = made[index:]
                        raise
                    log.exception(
                        "recording an attempt of delivery %s failed; sent again after its lease",
                        each.row.id,
                    )
        self._unrecorded = []

    async def _record(self, made: Sequence[_Attempt]) -> None:
        settled: list[Settled] = []
        async with self._units.begin() as uow:
            current = {
                row.id: row
                for row in await uow.session.execute(
                    select(
                        deliveries.c.id,
                        deliveries.c.status,
                        deliveries.c.attempts,
                        deliveries.c.next_attempt_at,
                        deliveries.c.last_error,
                    )
                    .where(deliveries.c.id.in_(sorted({each.row.id for each in made})))
                    .order_by(deliveries.c.id)
                    .with_for_update()
                )
            }
            changes: list[dict[str, Any]] = []
            logged: list[dict[str, Any]] = []
            for each in made:
                row, error = each.row, each.error
                now = current.get(row.id)
                if now is None:
                    continue
                before = Delivery(
                    DeliveryStatus(now.status), now.attempts, now.next_attempt_at, now.last_error
                )
                after = (
                    before.succeeded()
                    if error is None
                    else before.failed(
                        at=each.at,
                        error=error,
                        policy=self._retry,
                        final=each.final,
                        wait=each.wait,
                    )
                )
                changes.append(
                    {
                        "b_id": row.id,
                        "b_status": after.status.value,
                        "b_attempts": after.attempts,
                        "b_next_attempt_at": after.next_attempt_at,
                        "b_last_error": after.last_error,
                        "b_delivered_at": (
                            each.at if after.status is DeliveryStatus.DELIVERED else None
                        ),
                    }
                )
                logged.append(
                    {
                        "delivery_id": row.id,
                        "attempted_at": each.at,
                        "status_code": each.status_code,
                        "error": error,
                        "duration_ms": each.ms,
                    }
                )
                settled.append(
                    Settled(
                        delivery_id=row.id,
                        stream=row.stream,
                        recipient=row.recipient,
                        message_id=row.message_id,
                        event_type=row.event_type,
                        status=after.status,
                        attempts=after.attempts,
                        error=error,
                        status_code=each.status_code,
                        at=each.at,
                        answer=each.answer,
                    )
                )
            if not changes:
                return
            await uow.session.execute(_MOVE_ON, changes)
            await uow.session.execute(insert(delivery_attempts), logged)
            if self._on_settled is not None:
                await self._on_settled(uow, settled)
        for outcome in settled:
            outcome_label = "delivered" if outcome.error is None else "failed"
            DELIVERY_ATTEMPTS.labels(outcome.stream, outcome_label).inc()
            if outcome.status is DeliveryStatus.DEAD:
                DELIVERIES_DEAD.labels(outcome.stream).inc()
                log.warning(
                    "%s delivery %s to %s dead after %s attempts",
                    outcome.stream,
                    outcome.delivery_id,
                    outcome.recipient,
                    outcome.attempts,
                )


def _ms_since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


async def _answer_of(response: aiohttp.ClientResponse) -> bytes:
    """Up to ``ANSWER_READ`` bytes of the answer (a longer one closes the connection)."""
    read = bytearray()
    while len(read) < ANSWER_READ:
        chunk = await response.content.read(ANSWER_READ - len(read))
        if not chunk:
            break
        read += chunk
    return bytes(read)


_MOVE_ON = (
    update(deliveries)
    .where(deliveries.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        attempts=bindparam("b_attempts"),
        next_attempt_at=bindparam("b_next_attempt_at", type_=deliveries.c.next_attempt_at.type),
        last_error=bindparam("b_last_error"),
        delivered_at=bindparam("b_delivered_at", type_=deliveries.c.delivered_at.type),
    )
)
"""Every recorded row moved on in one statement (executed with one parameter set per row)."""
