"""The intake HTTP app: contact endpoints for adapters, the admin API, and servicekit's
health, metrics and AsyncAPI document."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.topics import ASSIGNMENTS
from switchboard.intake.bootstrap import IntakeService, bootstrap
from switchboard.intake.entrypoints import admin_api, contacts_api
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.http import RateLimitRule, path_segment
from switchboard.servicekit.http import create_app as create_service_app
from switchboard.servicekit.process import prepare_process


def adapter_limits(settings: IntakeSettings) -> list[RateLimitRule]:
    """Each adapter's contacts are counted on their own (by the adapter id in the path)."""
    if not settings.adapter_rate_limit:
        return []
    by_adapter = path_segment("/v1/adapters/", 3, label="adapter")
    return [RateLimitRule(settings.adapter_rate_limit, key=by_adapter)]


def create_app(service: IntakeService) -> FastAPI:
    app = create_service_app(
        title="Switchboard intake",
        version="0.1.0",
        description="Channel adapters post contacts; intake turns them into cases.",
        runtime=service.runtime,
        routers=[contacts_api.router, admin_api.router],
        asyncapi=build_asyncapi("intake", reads=[ASSIGNMENTS.name]),
        max_body_bytes=service.settings.max_body_bytes,
        rate_limits=adapter_limits(service.settings),
    )
    app.state.intake = service
    return app


def app_from_environment() -> FastAPI:
    """For ``uvicorn --factory`` workers: settings from the environment; the CLI has already
    run the migrations."""
    settings = IntakeSettings.load()
    prepare_process(settings)
    return create_app(bootstrap(settings, run_migrations=False))
