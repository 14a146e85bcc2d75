"""A service's FastAPI app, built from its definition and its HTTP side."""

from __future__ import annotations

import gc
from typing import Any

from fastapi import FastAPI

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.servicekit.http import create_app
from switchboard.servicekit.process import prepare_process
from switchboard.servicekit.service.assembly import Service, assemble
from switchboard.servicekit.service.definition import HttpApi, ServiceDefinition


def service_app(service: Service[Any, Any], api: HttpApi[Any]) -> FastAPI:
    """The app around one assembled service; its lifespan starts and stops the runtime."""
    definition, settings = service.definition, service.settings
    app = create_app(
        title=api.title,
        version=api.version,
        description=api.description,
        runtime=service.runtime,
        routers=api.routers,
        asyncapi=build_asyncapi(
            definition.registry,
            definition.name,
            reads=[topic.name for topic in definition.reads],
        ),
        max_body_bytes=settings.max_body_bytes,
        body_limits=api.body_limits(settings),
        rate_limits=api.rate_limits(settings),
        cors_origins=settings.cors_origins,
    )
    app.state.service = service
    return app


def app_from_environment(definition: ServiceDefinition[Any, Any], api: HttpApi[Any]) -> FastAPI:
    """What uvicorn's factory calls in each worker process: settings from the environment,
    logs and traces, the service assembled in uvicorn's own event loop (Kafka clients bind
    to it); the schema must be current already (``migrate`` ran)."""
    settings = definition.settings.load()
    prepare_process(settings)
    app = service_app(assemble(definition, settings), api)
    settle_startup_objects()
    return app


def settle_startup_objects() -> None:
    """What start-up built (modules, language models, the app) lives as long as the
    process: collected once, then frozen out of the collector's generations, so that full
    collections under load walk only what requests create (``gc.freeze``)."""
    gc.collect()
    gc.freeze()
