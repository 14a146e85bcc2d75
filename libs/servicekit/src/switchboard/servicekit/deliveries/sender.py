"""Sends queued deliveries, signed with Standard Webhooks by the recipient's secret, retried
with exponential backoff, dead after the policy's last attempt; every attempt logged.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (their next attempt moved past
the HTTP timeout) before any request goes out, so replicas never send the same attempt
twice; a replica that dies mid-request leaves the lease to expire and the row is retried.
The stream's owner hears how each attempt settled (``on_settled``) in the transaction that
records it, so it can publish an event or change its own rows with it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from prometheus_client import Counter
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from standardwebhooks import Webhook

from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.deliveries.queue import register_wakeup
from switchboard.servicekit.deliveries.schedule import Delivery, DeliveryStatus, RetryPolicy
from switchboard.servicekit.stalls import StallWatch
from switchboard.servicekit.tables import deliveries, delivery_attempts
from switchboard.servicekit.unit_of_work import UnitOfWork, UnitsOfWork

log = logging.getLogger(__name__)
DELIVERY_ATTEMPTS = Counter(
    "servicekit_delivery_attempts_total",
    "Outgoing HTTP delivery attempts, by stream and outcome",
    ["stream", "outcome"],
)


@dataclass(frozen=True)
class Endpoint:
    url: str
    secret: str
    """The Standard Webhooks secret (``whsec_…``) the request is signed with."""


@dataclass(frozen=True)
class Settled:
    """What one attempt came to."""

    delivery_id: int
    stream: str
    recipient: str
    message_id: str
    event_type: str
    status: DeliveryStatus
    """``delivered``, ``pending`` (it will be tried again) or ``dead``."""
    attempts: int
    error: str | None
    status_code: int | None
    at: datetime


EndpointOf = Callable[[AsyncSession, str, str], Awaitable[Endpoint | None]]
"""(session, stream, recipient) → where and with which secret to send now; None when the
recipient has no endpoint any more (the attempt fails)."""
OnSettled = Callable[[UnitOfWork[Any], Settled], Awaitable[None]]


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


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
        batch_size: int = 50,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``streams``: only these streams' deliveries (all when None)."""
        self._units = units
        self._endpoint_of = endpoint_of
        self._retry = retry
        self._on_settled = on_settled
        self._streams = streams
        self._timeout = timeout_seconds
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._clock = clock
        self._stopping = asyncio.Event()
        self._woken = asyncio.Event()
        self.stall = StallWatch("delivery sender", first_pause=poll_seconds)
        register_wakeup(self)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
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

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        claimed = await self._claim()
        if claimed:
            await asyncio.gather(*(self._deliver(client, row) for row in claimed))
        return len(claimed)

    async def _claim(self) -> list[Any]:
        now = self._clock()
        lease = now + timedelta(seconds=self._timeout * 3)
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

    async def _deliver(self, client: httpx.AsyncClient, row: Any) -> None:
        started, at = time.perf_counter(), self._clock()
        status_code: int | None = None
        error: str | None = None
        async with self._units.sessions() as session:
            endpoint = await self._endpoint_of(session, row.stream, row.recipient)
        if endpoint is None:
            error = f"{row.recipient} has no endpoint for {row.stream} any more"
        else:
            headers = signed_headers(
                secret=endpoint.secret, message_id=row.message_id, body=row.body, at=at
            )
            try:
                response = await client.post(
                    endpoint.url, content=row.body.encode(), headers=headers
                )
                status_code = response.status_code
                if not response.is_success:
                    error = f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        elapsed_ms = (time.perf_counter() - started) * 1000
        await self._record(row, at=at, status_code=status_code, error=error, ms=elapsed_ms)

    async def _record(
        self, row: Any, *, at: datetime, status_code: int | None, error: str | None, ms: float
    ) -> None:
        async with self._units.begin() as uow:
            current = (
                await uow.session.execute(
                    select(deliveries).where(deliveries.c.id == row.id).with_for_update()
                )
            ).first()
            if current is None:
                return
            before = Delivery(
                DeliveryStatus(current.status),
                current.attempts,
                current.next_attempt_at,
                current.last_error,
            )
            after = (
                before.succeeded()
                if error is None
                else before.failed(at=at, error=error, policy=self._retry)
            )
            DELIVERY_ATTEMPTS.labels(row.stream, "delivered" if error is None else "failed").inc()
            await uow.session.execute(
                update(deliveries)
                .where(deliveries.c.id == row.id)
                .values(
                    status=after.status.value,
                    attempts=after.attempts,
                    next_attempt_at=after.next_attempt_at,
                    last_error=after.last_error,
                    delivered_at=at if after.status is DeliveryStatus.DELIVERED else None,
                )
            )
            await uow.session.execute(
                insert(delivery_attempts).values(
                    delivery_id=row.id,
                    attempted_at=at,
                    status_code=status_code,
                    error=error,
                    duration_ms=ms,
                )
            )
            if after.status is DeliveryStatus.DEAD:
                log.warning(
                    "%s delivery %s to %s dead after %s attempts",
                    row.stream,
                    row.id,
                    row.recipient,
                    after.attempts,
                )
            if self._on_settled is not None:
                await self._on_settled(
                    uow,
                    Settled(
                        delivery_id=row.id,
                        stream=row.stream,
                        recipient=row.recipient,
                        message_id=row.message_id,
                        event_type=row.event_type,
                        status=after.status,
                        attempts=after.attempts,
                        error=error,
                        status_code=status_code,
                        at=at,
                    ),
                )
