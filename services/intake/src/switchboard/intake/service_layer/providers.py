"""The providers intake sends through natively, one entry each: the type of a queued send
request, its body built from the outbound message when it is queued, the request's address
and headers built from the opened credential when it is sent (never stored: they may hold
the credential), and what the provider's answer does to the message.

A provider is added here (and its credential model in ``domain.channel_adapters``); the
reply, survey and delivery code only ever look it up."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from switchboard.intake.adapters.smtp_relay import relay_endpoint
from switchboard.intake.domain import meta_graph, smtp_sends, telegram_sends, twilio_sends
from switchboard.intake.domain.channel_adapters import Provider
from switchboard.intake.domain.credentials import ProviderCredential, SendOrigin
from switchboard.intake.domain.replies import Outcome
from switchboard.intake.service_layer import meta_deliveries, twilio_deliveries
from switchboard.servicekit.deliveries import ProviderEndpoint, Settled, TransportEndpoint


@dataclass(frozen=True)
class ProviderSender:
    send_type: str
    """The event type of a queued send request (what the delivery log shows)."""
    send_body: Callable[[Mapping[str, Any], Any, SendOrigin], str]
    """(outbound document, credential, where it leaves from) → the request body, queued as
    is."""
    endpoint: Callable[[Any, str], ProviderEndpoint | TransportEndpoint]
    """(credential, the provider's API base from settings) → where and how it is sent."""
    outcome: Callable[[Settled], Outcome]
    default_api_base: str


SENDERS: dict[Provider, ProviderSender] = {
    Provider.TELEGRAM: ProviderSender(
        send_type=telegram_sends.SEND_MESSAGE,
        send_body=telegram_sends.send_message,
        endpoint=telegram_sends.endpoint,
        outcome=telegram_sends.outcome,
        default_api_base=telegram_sends.DEFAULT_API_BASE,
    ),
    Provider.SMTP: ProviderSender(
        send_type=smtp_sends.SEND_MAIL,
        send_body=smtp_sends.mail_message,
        endpoint=relay_endpoint,
        outcome=smtp_sends.outcome,
        default_api_base="",
    ),
    Provider.TWILIO: ProviderSender(
        send_type=twilio_sends.SEND_MESSAGE,
        send_body=twilio_sends.send_body,
        endpoint=twilio_deliveries.endpoint,
        outcome=twilio_deliveries.outcome,
        default_api_base=twilio_sends.DEFAULT_API_BASE,
    ),
    Provider.WHATSAPP: ProviderSender(
        send_type=meta_graph.WHATSAPP_SEND,
        send_body=meta_graph.whatsapp_message,
        endpoint=meta_deliveries.endpoint,
        outcome=meta_deliveries.outcome_for("WhatsApp"),
        default_api_base=meta_graph.DEFAULT_GRAPH_BASE,
    ),
    Provider.MESSENGER: ProviderSender(
        send_type=meta_graph.MESSENGER_SEND,
        send_body=meta_graph.messenger_message,
        endpoint=meta_deliveries.endpoint,
        outcome=meta_deliveries.outcome_for("Messenger"),
        default_api_base=meta_graph.DEFAULT_GRAPH_BASE,
    ),
    Provider.INSTAGRAM: ProviderSender(
        send_type=meta_graph.INSTAGRAM_SEND,
        send_body=meta_graph.messenger_message,
        endpoint=meta_deliveries.endpoint,
        outcome=meta_deliveries.outcome_for("Instagram"),
        default_api_base=meta_graph.DEFAULT_GRAPH_BASE,
    ),
}
_BY_TYPE = {sender.send_type: sender for sender in SENDERS.values()}


def sender_of_type(event_type: str) -> ProviderSender | None:
    """The provider whose send request a queued delivery of this type is."""
    return _BY_TYPE.get(event_type)


def provider_endpoint(
    provider: Provider, credential: ProviderCredential, api_bases: Mapping[Provider, str]
) -> ProviderEndpoint | TransportEndpoint | None:
    sender = SENDERS.get(provider)
    if sender is None or not credential.sends:
        return None
    return sender.endpoint(credential, api_bases.get(provider, sender.default_api_base))
