"""The FastAPI app every service starts from: lifespan, problems, health, metrics, docs."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, Response
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from switchboard.servicekit.http.documented import (
    declared_query_only,
    document_problems,
    problems,
)
from switchboard.servicekit.http.limits import BodySizeLimit
from switchboard.servicekit.http.problems import (
    RETRY_AFTER_SECONDS,
    install_problem_handlers,
    problem_response,
)
from switchboard.servicekit.http.rate_limits import RateLimit, RateLimitRule
from switchboard.servicekit.http.requests import RequestMetrics
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.telemetry import tracing_enabled

CORS_METHODS = ["GET", "POST", "PUT", "DELETE", "OPTIONS"]
CORS_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key"]


def create_app(
    *,
    title: str,
    version: str,
    runtime: Runtime | None,
    routers: Sequence[APIRouter] = (),
    asyncapi: dict[str, Any] | None = None,
    max_body_bytes: int = 1_048_576,
    body_limits: Sequence[tuple[str, int]] = (),
    description: str = "",
    rate_limits: Sequence[RateLimitRule] = (),
    cors_origins: Sequence[str] = (),
) -> FastAPI:
    """A service app; the runtime (if any) starts and stops with the app's lifespan.
    ``rate_limits`` are checked first, before the body is read; ``body_limits`` (path prefix,
    bytes) replace ``max_body_bytes`` for the paths under a prefix. ``cors_origins`` lets
    browser pages on those origins call the API with a bearer token (no cookies)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if runtime is not None:
            await runtime.start()
        try:
            yield
        finally:
            if runtime is not None:
                await runtime.stop()

    app = FastAPI(
        title=title,
        version=version,
        description=description,
        lifespan=lifespan,
        dependencies=[Depends(declared_query_only)],
    )
    app.state.runtime = runtime
    install_problem_handlers(app)
    for router in routers:
        app.include_router(router)

    @app.get("/healthz", tags=["operations"])
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", tags=["operations"], response_model=None, responses=problems(503))
    async def readyz() -> JSONResponse | dict[str, Any]:
        """200 when the service can do its work; else 503 naming what is wrong. A broker
        outage shows in ``checks`` (consumers and relay waiting) even while ready."""
        if runtime is None:
            return {"status": "ready", "checks": {}}
        readiness = await runtime.readiness()
        if readiness.ready:
            return {"status": "ready", "checks": readiness.checks}
        failing = sorted(name for name, state in readiness.checks.items() if state != "ok")
        return problem_response(
            503,
            "not ready: " + ", ".join(failing),
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
            checks=readiness.checks,
        )

    @app.get("/metrics", tags=["operations"], include_in_schema=False)
    async def metrics() -> Response:
        if runtime is not None:  # switchboard_ready as of this scrape, probed or not
            await runtime.readiness()
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    if asyncapi is not None:

        @app.get("/asyncapi.json", tags=["operations"], include_in_schema=False)
        async def asyncapi_document() -> dict[str, Any]:
            return asyncapi

    document_problems(app, rate_limits)
    app.add_middleware(BodySizeLimit, max_bytes=max_body_bytes, by_path=body_limits)
    for rule in rate_limits:
        app.add_middleware(RateLimit, rule=rule)
    if cors_origins:  # outermost: a preflight is answered before limits and auth
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(cors_origins),
            allow_methods=CORS_METHODS,
            allow_headers=CORS_HEADERS,
            allow_credentials=False,
        )
    app.add_middleware(RequestMetrics)  # outermost: counts what the limits refuse too
    if tracing_enabled():  # without a tracer provider its spans would record nothing
        FastAPIInstrumentor.instrument_app(app, excluded_urls="healthz,readyz,metrics")
    return app
