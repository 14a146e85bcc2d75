"""Outgoing HTTP deliveries: queued in a transaction, sent signed (Standard Webhooks) or as
a provider's own request, retried with backoff, dead after the last attempt, every attempt
logged."""

from switchboard.servicekit.deliveries.providers import ProviderEndpoint
from switchboard.servicekit.deliveries.queue import (
    NotDead,
    Outgoing,
    enqueue,
    resend,
    standard_webhook_body,
)
from switchboard.servicekit.deliveries.schedule import Delivery, DeliveryStatus, RetryPolicy
from switchboard.servicekit.deliveries.sender import (
    DeliverySender,
    Endpoint,
    Settled,
    signed_headers,
)

__all__ = [
    "Delivery",
    "DeliverySender",
    "DeliveryStatus",
    "Endpoint",
    "NotDead",
    "Outgoing",
    "ProviderEndpoint",
    "RetryPolicy",
    "Settled",
    "enqueue",
    "resend",
    "signed_headers",
    "standard_webhook_body",
]
