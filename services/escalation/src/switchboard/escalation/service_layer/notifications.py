"""Webhook deliveries to coordinators, queued (servicekit's deliveries, stream
``coordinator-webhooks``) in the same transaction as the published event they carry."""

from __future__ import annotations

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope
from switchboard.escalation.adapters.config_store import LoadedConfig
from switchboard.escalation.service_layer.unit_of_work import EscalationUnitOfWork
from switchboard.servicekit.deliveries import Outgoing, enqueue, standard_webhook_body

COORDINATOR_WEBHOOKS = "coordinator-webhooks"


async def publish_with_webhooks(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    event: Event,
    recipients: tuple[str, ...],
) -> None:
    """Publish the event, and queue it for the recipients' webhooks under its id and time."""
    (envelope,) = await uow.publish(event)
    await enqueue_webhooks(uow=uow, loaded=loaded, envelope=envelope, recipients=recipients)


async def enqueue_webhooks(
    *,
    uow: EscalationUnitOfWork,
    loaded: LoadedConfig,
    envelope: Envelope[Event],
    recipients: tuple[str, ...],
) -> int:
    """One delivery per recipient with a webhook; how many were queued."""
    region = str(getattr(envelope.data, "region", ""))
    body: str | None = None
    outgoing = []
    for coordinator_id in dict.fromkeys(recipients):
        webhook = loaded.webhook_of(coordinator_id)
        if webhook is None:
            continue
        body = body or standard_webhook_body(envelope)
        outgoing.append(
            Outgoing(
                stream=COORDINATOR_WEBHOOKS,
                recipient=coordinator_id,
                message_id=envelope.id,
                event_type=envelope.type,
                body=body,
                url=webhook.url,
                region=region,
            )
        )
    await enqueue(uow.session, outgoing, at=envelope.time)
    return len(outgoing)
