"""Queueing signed HTTP deliveries in the caller's transaction: one row per message and
recipient, sent by the service's ``DeliverySender`` once the transaction commits (it is
woken at once; it also polls)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from weakref import WeakSet

from sqlalchemy import Row, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.servicekit.db.hooks import call_after_commit
from switchboard.servicekit.deliveries.schedule import DeliveryStatus
from switchboard.servicekit.tables import deliveries, delivery_attempts


@dataclass(frozen=True)
class Outgoing:
    stream: str
    """Whose deliveries these are, e.g. ``coordinator-webhooks``, ``adapter-outbound``."""
    recipient: str
    """Who receives it within the stream (a coordinator id, an adapter id)."""
    message_id: str
    """The ``webhook-id`` the receiver deduplicates by; unique per stream and recipient."""
    event_type: str
    body: str
    url: str
    """Where it goes as queued (the sender asks for the recipient's current endpoint)."""
    region: str = ""


def standard_webhook_body(envelope: Envelope[Event]) -> str:
    """The Standard Webhooks payload shape: type, timestamp and the event's data."""
    return json.dumps(
        {
            "type": envelope.type,
            "timestamp": envelope.time.isoformat(),
            "data": envelope.data.model_dump(mode="json"),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )


async def enqueue(session: AsyncSession, outgoing: Sequence[Outgoing], *, at: datetime) -> None:
    """Queue these deliveries in the caller's transaction, due at ``at``."""
    if not outgoing:
        return
    rows = [
        {
            "stream": each.stream,
            "recipient": each.recipient,
            "region": each.region,
            "message_id": each.message_id,
            "url": each.url,
            "event_type": each.event_type,
            "body": each.body,
            "status": DeliveryStatus.PENDING.value,
            "attempts": 0,
            "next_attempt_at": at,
            "created_at": at,
        }
        for each in outgoing
    ]
    await session.execute(insert(deliveries), rows)
    call_after_commit(session, _wake_senders)


class NotDead(ValueError):
    pass


async def resend(session: AsyncSession, delivery_id: int, *, at: datetime) -> Row[Any] | None:
    """A dead delivery queued again from its first attempt (after the receiver was fixed);
    None if there is no such delivery."""
    row = (
        await session.execute(
            select(deliveries).where(deliveries.c.id == delivery_id).with_for_update()
        )
    ).first()
    if row is None:
        return None
    if row.status != DeliveryStatus.DEAD.value:
        raise NotDead(f"delivery {delivery_id} is {row.status}, not dead")
    await session.execute(
        deliveries.update()
        .where(deliveries.c.id == delivery_id)
        .values(status=DeliveryStatus.PENDING.value, attempts=0, next_attempt_at=at)
    )
    call_after_commit(session, _wake_senders)
    return (await session.execute(select(deliveries).where(deliveries.c.id == delivery_id))).first()


_senders: WeakSet[Any] = WeakSet()


def register_wakeup(sender: Any) -> None:
    """``sender.wake()`` is called after every commit that queued a delivery."""
    _senders.add(sender)


def _wake_senders() -> None:
    for sender in list(_senders):
        wake: Callable[[], None] = sender.wake
        wake()


async def scrub(session: AsyncSession, *, stream: str, message_ids: Sequence[str]) -> int:
    """Empty the bodies and errors of these messages' deliveries (sent or not: one still
    pending goes dead, never sent), in the caller's transaction; the rows stay, as counts.
    The number of deliveries scrubbed."""
    if not message_ids:
        return 0
    chosen = (deliveries.c.stream == stream) & deliveries.c.message_id.in_(list(message_ids))
    ids = list(await session.scalars(select(deliveries.c.id).where(chosen)))
    if not ids:
        return 0
    await session.execute(
        deliveries.update()
        .where(deliveries.c.id.in_(ids), deliveries.c.status == DeliveryStatus.PENDING.value)
        .values(status=DeliveryStatus.DEAD.value, next_attempt_at=None)
    )
    await session.execute(
        deliveries.update().where(deliveries.c.id.in_(ids)).values(body="", last_error=None)
    )
    await session.execute(
        delivery_attempts.update()
        .where(delivery_attempts.c.delivery_id.in_(ids))
        .values(error=None)
    )
    return len(ids)
