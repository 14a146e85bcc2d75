"""Webhook deliveries, queued in the same transaction as the published event they carry."""

from __future__ import annotations

import json

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.adapters.orm import WebhookDeliveryRow
from switchboard.escalation.domain.webhooks import DeliveryStatus
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork


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


async def publish_with_webhooks(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    event: Event,
    recipients: tuple[str, ...],
) -> None:
    """Publish the event, and queue it for the recipients' webhooks under its id and time."""
    (envelope,) = await uow.publish(event)
    enqueue_webhooks(uow=uow, loaded=loaded, envelope=envelope, recipients=recipients)


def enqueue_webhooks(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    envelope: Envelope[Event],
    recipients: tuple[str, ...],
) -> int:
    """One delivery per recipient with a webhook; how many were queued."""
    region = str(getattr(envelope.data, "region", ""))
    body = None
    queued = 0
    for coordinator_id in dict.fromkeys(recipients):
        webhook = loaded.webhook_of(coordinator_id)
        if webhook is None:
            continue
        body = body or webhook_body(envelope)
        uow.session.add(
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
