"""Outgoing deliveries: queued in a transaction, sent signed (Standard Webhooks), as a
provider's own request, or by a transport of the recipient's own (SMTP, say), retried with
backoff, dead after the last attempt, every attempt logged."""

from switchboard.servicekit.deliveries.providers import ProviderEndpoint
from switchboard.servicekit.deliveries.queue import (
    NotDead,
    Outgoing,
    enqueue,
    resend,
    scrub,
    standard_webhook_body,
)
from switchboard.servicekit.deliveries.schedule import (
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    Settled,
)
from switchboard.servicekit.deliveries.sender import DeliverySender, Endpoint, signed_headers
from switchboard.servicekit.deliveries.transports import Transported, TransportEndpoint

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
    "TransportEndpoint",
    "Transported",
    "enqueue",
    "resend",
    "scrub",
    "signed_headers",
    "standard_webhook_body",
]
