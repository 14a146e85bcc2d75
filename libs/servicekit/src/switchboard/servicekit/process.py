"""What every service process does first: logs and traces as its settings say."""

from __future__ import annotations

from switchboard.servicekit.logging import configure_logging
from switchboard.servicekit.settings import ServiceSettings
from switchboard.servicekit.telemetry import setup_tracing


def prepare_process(settings: ServiceSettings) -> None:
    """JSON logs with trace ids, and a tracer provider unless ``otel_exporter`` is
    ``none``; call before building the app (it is instrumented only when tracing is on)."""
    configure_logging(settings.service_name, level=settings.log_level, json=settings.log_json)
    setup_tracing(settings.service_name, settings.otel_exporter, endpoint=settings.otel_endpoint)
