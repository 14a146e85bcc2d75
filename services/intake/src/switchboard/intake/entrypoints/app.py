"""Intake's HTTP side: contact endpoints for adapters, the admin API, and servicekit's
health, metrics and AsyncAPI document."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.entrypoints import (
    adapters_api,
    consents_api,
    contacts_api,
    conversations_api,
    customer_records_api,
    customers_api,
    deliveries_api,
    erasure_api,
    inbound_mail_api,
    merges_api,
    meta_api,
    telegram_api,
    twilio_api,
)
from switchboard.intake.entrypoints.smtp_receiver import with_smtp_receiver
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.http import RateLimitRule, path_segment
from switchboard.servicekit.service import HttpApi, app_from_environment


def adapter_rate_limits(settings: IntakeSettings) -> list[RateLimitRule]:
    """Each adapter's requests are counted on their own (by the adapter id in the path):
    its signed contacts and reports, and a provider's webhooks to it."""
    if not settings.adapter_rate_limit:
        return []
    by_adapter = path_segment("/v1/adapters/", 3, label="adapter")
    by_provider_adapter = path_segment("/v1/providers/", 4, label="adapter")
    return [
        RateLimitRule(settings.adapter_rate_limit, key=by_adapter),
        RateLimitRule(settings.adapter_rate_limit, key=by_provider_adapter),
    ]


def inbound_mail_limits(settings: IntakeSettings) -> list[tuple[str, int]]:
    """Inbound-mail webhooks carry whole messages: their own body limit."""
    return [
        (f"/v1/providers/{service}/", settings.inbound_mail_max_bytes)
        for service in ("sendgrid", "postmark", "mailgun")
    ]


HTTP_API: HttpApi[IntakeSettings] = HttpApi(
    title="Switchboard intake",
    description="Channel adapters post contacts; intake turns them into cases.",
    routers=(
        contacts_api.router,
        adapters_api.router,
        customers_api.router,
        conversations_api.router,
        customer_records_api.router,
        consents_api.router,
        deliveries_api.router,
        merges_api.router,
        erasure_api.router,
        telegram_api.router,
        twilio_api.router,
        meta_api.router,
        inbound_mail_api.router,
    ),
    rate_limits=adapter_rate_limits,
    body_limits=inbound_mail_limits,
)


def create_app() -> FastAPI:
    """uvicorn's factory, in each worker process (``switchboard-intake serve``)."""
    return app_from_environment(with_smtp_receiver(DEFINITION), HTTP_API)
