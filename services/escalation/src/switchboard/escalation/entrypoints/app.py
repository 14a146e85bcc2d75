"""The FastAPI app of the escalation service, around one bootstrapped service."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.topics import ASSIGNMENTS, CASES, FEEDBACK_ALERTS
from switchboard.escalation.bootstrap import EscalationService, bootstrap
from switchboard.escalation.entrypoints import admin_api, api
from switchboard.escalation.entrypoints.console import console_router
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.http.app import create_app
from switchboard.servicekit.process import prepare_process


def create_escalation_app(service: EscalationService) -> FastAPI:
    console = console_router(
        routing_url=service.settings.console_routing_url,
        feedback_url=service.settings.console_feedback_url,
    )
    app = create_app(
        title="Switchboard escalation",
        version="0.1.0",
        runtime=service.runtime,
        routers=[api.router, admin_api.router, console],
        asyncapi=build_asyncapi(
            "escalation", reads=[CASES.name, ASSIGNMENTS.name, FEEDBACK_ALERTS.name]
        ),
        max_body_bytes=service.settings.max_body_bytes,
        description="SLA clocks, escalations and coordinators.",
    )
    app.state.escalation = service
    return app


def app_from_environment() -> FastAPI:
    """uvicorn's factory: builds the service inside uvicorn's event loop (the Kafka clients
    bind to the loop they are created in). Migrations ran before uvicorn started."""
    settings = EscalationSettings.load()
    prepare_process(settings)
    return create_escalation_app(bootstrap(settings, run_migrations=False))
