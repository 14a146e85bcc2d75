"""Delivers queued webhooks, signed with Standard Webhooks, retried with exponential backoff.

Rows are claimed with ``FOR UPDATE SKIP LOCKED`` and leased (their next attempt moved past
the HTTP timeout) before any request goes out, so replicas never send the same attempt
twice; a replica that dies mid-request leaves the lease to expire and the row is retried.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from standardwebhooks import Webhook

from switchboard.escalation.adapters.config_store import ConfigStore
from switchboard.escalation.adapters.orm import WebhookAttemptRow, WebhookDeliveryRow
from switchboard.escalation.domain.webhooks import Delivery, DeliveryStatus, RetryPolicy
from switchboard.servicekit.db.types import utcnow
from switchboard.servicekit.stalls import StallWatch

log = logging.getLogger(__name__)
WEBHOOK_ATTEMPTS = Counter(
    "escalation_webhook_attempts_total", "Webhook delivery attempts, by outcome", ["outcome"]
)


def signed_headers(*, secret: str, message_id: str, body: str, at: datetime) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, body),
    }


class WebhookSender:
    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        config: ConfigStore,
        retry: RetryPolicy,
        timeout_seconds: float = 5.0,
        poll_seconds: float = 0.2,
        batch_size: int = 50,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._sessions = sessions
        self._config = config
        self._retry = retry
        self._timeout = timeout_seconds
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._clock = clock
        self._stopping = asyncio.Event()
        self.stall = StallWatch("webhook sender", first_pause=poll_seconds)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
            while not self._stopping.is_set():
                sent = await self.stall.attempt(lambda: self.deliver_due(client))
                if (sent or 0) < self._batch_size:
                    with contextlib.suppress(TimeoutError):
                        pause = self.stall.pause(self._poll_seconds)
                        await asyncio.wait_for(self._stopping.wait(), pause)

    def stop(self) -> None:
        self._stopping.set()

    async def deliver_due(self, client: httpx.AsyncClient) -> int:
        claimed = await self._claim()
        if claimed:
            await asyncio.gather(*(self._deliver(client, row) for row in claimed))
        return len(claimed)

    async def _claim(self) -> list[WebhookDeliveryRow]:
        now = self._clock()
        lease = now + timedelta(seconds=self._timeout * 3)
        async with self._sessions() as session, session.begin():
            query = (
                select(WebhookDeliveryRow)
                .where(
                    WebhookDeliveryRow.status == DeliveryStatus.PENDING.value,
                    WebhookDeliveryRow.next_attempt_at <= now,
                )
                .order_by(WebhookDeliveryRow.next_attempt_at, WebhookDeliveryRow.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            )
            rows = list((await session.execute(query)).scalars())
            for row in rows:
                row.next_attempt_at = lease
        return rows

    async def _deliver(self, client: httpx.AsyncClient, row: WebhookDeliveryRow) -> None:
        started, at = time.perf_counter(), self._clock()
        status_code: int | None = None
        error: str | None = None
        async with self._sessions() as session:
            loaded = await self._config.current(session)
        webhook = loaded.webhook_of(row.coordinator_id)
        if webhook is None:
            error = "the coordinator has no webhook any more"
        else:
            headers = signed_headers(
                secret=webhook.secret, message_id=row.message_id, body=row.body, at=at
            )
            try:
                response = await client.post(
                    webhook.url, content=row.body.encode(), headers=headers
                )
                status_code = response.status_code
                if not response.is_success:
                    error = f"HTTP {status_code}"
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
        elapsed_ms = (time.perf_counter() - started) * 1000
        await self._record(row.id, at=at, status_code=status_code, error=error, ms=elapsed_ms)

    async def _record(
        self,
        delivery_id: int,
        *,
        at: datetime,
        status_code: int | None,
        error: str | None,
        ms: float,
    ) -> None:
        async with self._sessions() as session, session.begin():
            row = await session.get(WebhookDeliveryRow, delivery_id, with_for_update=True)
            if row is None:
                return
            before = Delivery(
                DeliveryStatus(row.status), row.attempts, row.next_attempt_at, row.last_error
            )
            after = (
                before.succeeded()
                if error is None
                else before.failed(at=at, error=error, policy=self._retry)
            )
            WEBHOOK_ATTEMPTS.labels("delivered" if error is None else "failed").inc()
            row.status, row.attempts = after.status.value, after.attempts
            row.next_attempt_at, row.last_error = after.next_attempt_at, after.last_error
            if after.status is DeliveryStatus.DELIVERED:
                row.delivered_at = at
            elif after.status is DeliveryStatus.DEAD:
                log.warning("webhook delivery %s dead after %s attempts", row.id, row.attempts)
            session.add(
                WebhookAttemptRow(
                    delivery_id=delivery_id,
                    attempted_at=at,
                    status_code=status_code,
                    error=error,
                    duration_ms=ms,
                )
            )
