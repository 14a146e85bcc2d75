"""Traces go to the collector named by the service's ``OTEL_ENDPOINT`` setting, or to where
the OpenTelemetry SDK's own variable points."""

import pytest

from switchboard.servicekit.telemetry import otlp_exporter


def test_the_endpoint_setting_names_the_collector_and_gets_the_traces_path() -> None:
    exporter = otlp_exporter("http://otel-collector:4318/")
    assert exporter._endpoint == "http://otel-collector:4318/v1/traces"  # type: ignore[attr-defined]


def test_without_the_setting_the_sdk_variable_decides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    exporter = otlp_exporter(None)
    assert exporter._endpoint == "http://127.0.0.1:4318/v1/traces"  # type: ignore[attr-defined]
