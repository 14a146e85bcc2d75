"""Webhook deliveries, queued in the same transaction as the event they carry."""

from __future__ import annotations

import json

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import WebhookDeliveryRow
from switchboard.escalation.domain.webhooks import DeliveryStatus


def webhook_body(envelope: Envelope[Event]) -> str:
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


async def enqueue_webhooks(
    *,
    session: AsyncSession,
    loaded: LoadedConfig,
    envelope: Envelope[Event],
    recipients: tuple[str, ...],
) -> int:
    body = webhook_body(envelope)
    region = str(getattr(envelope.data, "region", ""))
    queued = 0
    for coordinator_id in dict.fromkeys(recipients):
        webhook = loaded.webhook_of(coordinator_id)
        if webhook is None:
            continue
        session.add(
            WebhookDeliveryRow(
                message_id=envelope.id,
                coordinator_id=coordinator_id,
                region=region,
                url=webhook.url,
                event_type=envelope.type,
                body=body,
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=envelope.time,
                created_at=envelope.time,
            )
        )
        queued += 1
    return queued
