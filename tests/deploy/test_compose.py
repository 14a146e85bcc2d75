"""docker-compose.yml is valid Compose and agrees with the code it deploys.

Fast and offline: no Docker engine, no network. Each check also runs once on a broken copy
(``test_each_check_catches_a_break``) so a check that stopped looking shows up here.
"""

from __future__ import annotations

import copy
import http.server
import importlib.util
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from . import compose_checks as checks
from .compose_model import (
    COMPOSE_FILE,
    DOCKERFILE,
    POSTGRES_INIT,
    ROOT,
    Dockerfile,
    dockerignore_patterns,
    dockerignored,
    load_compose,
    parse_dockerfile,
    pom_kafka_version,
    required_variables,
)

OTEL = ROOT / "deploy" / "otel"


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="module")
def dockerfile() -> Dockerfile:
    return parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


Check = Callable[[dict[str, Any], Dockerfile], list[str]]
CHECKS: dict[str, Check] = {
    "settings names": checks.settings_names,
    "production settings": lambda compose, _: checks.production_settings(compose),
    "required secrets": lambda compose, _: checks.required_secrets(compose),
    "ports": checks.ports,
    "kafka image": lambda compose, _: checks.kafka_image(compose, pom_kafka_version()),
    "topics": lambda compose, _: checks.topics(compose),
    "databases": lambda compose, _: checks.databases(compose, _text(POSTGRES_INIT)),
    "entrypoints": checks.entrypoints,
    "dependencies": lambda compose, _: checks.dependencies(compose),
    "images": checks.images,
    "bind mounts": lambda compose, _: checks.bind_mounts(compose),
    "observability": lambda compose, _: checks.observability(
        compose, _text(OTEL / "collector.yaml"), _text(OTEL / "prometheus.yml")
    ),
    "dockerignore": lambda _, dockerfile: checks.dockerignore(
        dockerignore_patterns(), dockerfile, dockerignored
    ),
}


def check_jsonschema(path: Path) -> subprocess.CompletedProcess[str]:
    """The Compose Specification schema that ships inside check-jsonschema; a proxy that
    answers nothing makes sure it stays offline."""
    executable = Path(sys.executable).with_name("check-jsonschema")
    offline = {
        **os.environ,
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
    }
    return subprocess.run(
        [str(executable), "--builtin-schema", "vendor.compose-spec", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=offline,
        check=False,
    )


def test_compose_file_follows_the_compose_specification() -> None:
    result = check_jsonschema(COMPOSE_FILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_schema_check_rejects_an_unknown_key(tmp_path: Path) -> None:
    broken = tmp_path / "docker-compose.yml"
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    broken.write_text(text.replace("    restart: unless-stopped", "    restrat: unless-stopped", 1))
    result = check_jsonschema(broken)
    assert result.returncode == 1
    assert "restrat" in result.stdout


@pytest.mark.parametrize("check", sorted(CHECKS))
def test_compose_agrees_with_the_code(
    check: str, compose: dict[str, Any], dockerfile: Dockerfile
) -> None:
    assert CHECKS[check](compose, dockerfile) == []


def test_every_required_variable_is_in_the_env_example(compose: dict[str, Any]) -> None:
    example = (ROOT / "deploy" / "compose" / "env.example").read_text(encoding="utf-8")
    assert {v for v in required_variables(compose) if f"\n{v}=" not in example} == set()


Mutation = Callable[[dict[str, Any], Dockerfile], None]


def _env(name: str) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return lambda compose: compose["services"][name]["environment"]


def _set(name: str, key: str, value: Any) -> Mutation:
    return lambda compose, _: _env(name)(compose).__setitem__(key, value)


def _drop(name: str, key: str) -> Mutation:
    return lambda compose, _: _env(name)(compose).pop(key)


def _service(name: str, key: str, value: Any) -> Mutation:
    return lambda compose, _: compose["services"][name].__setitem__(key, value)


def _topics(compose: dict[str, Any], _: Dockerfile) -> None:
    env = _env("topics")(compose)
    env["TOPICS"] = env["TOPICS"].replace("switchboard.dlq.feedback", "")


def _stage(target: str, attribute: str, value: Any) -> Mutation:
    return lambda _, dockerfile: setattr(dockerfile.stages[target], attribute, value)


BREAKS: dict[str, tuple[str, Mutation]] = {
    "unknown setting": ("settings names", _set("routing", "SWITCHBOARD_ROUTING_POLICY_FILE", "x")),
    "prefixed alias": (
        "settings names",
        _set("intake", "SWITCHBOARD_INTAKE_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
    ),
    "missing jwt secret": (
        "production settings",
        _drop("escalation", "SWITCHBOARD_ESCALATION_JWT_SECRET"),
    ),
    "dev link secret": (
        "production settings",
        _drop("feedback", "SWITCHBOARD_FEEDBACK_LINK_SECRETS"),
    ),
    "secret with a default": (
        "required secrets",
        _set("intake", "SWITCHBOARD_INTAKE_ADAPTER_SECRET_KEYS", "${KEYS:-abc}"),
    ),
    "loopback in a container": (
        "ports",
        _set("intake", "SWITCHBOARD_INTAKE_HTTP_HOST", "127.0.0.1"),
    ),
    "port mismatch": ("ports", _set("feedback", "SWITCHBOARD_FEEDBACK_HTTP_PORT", 8080)),
    "published on all interfaces": ("ports", _service("escalation", "ports", ["8003:8003"])),
    "image check on another port": (
        "ports",
        _stage("routing", "healthcheck", ["python", "/opt/switchboard/readyz.py", "8001"]),
    ),
    "kafka version": ("kafka image", _service("kafka", "image", "apache/kafka:4.0.0")),
    "missing dead-letter topic": ("topics", _topics),
    "partitions": ("topics", _set("topics", "TOPIC_PARTITIONS", 6)),
    "database not created": (
        "databases",
        _set(
            "feedback",
            "SWITCHBOARD_FEEDBACK_DATABASE_URL",
            "postgresql+asyncpg://kpis:${FEEDBACK_DB_PASSWORD:?}@postgres:5432/kpis",
        ),
    ),
    "wrong password": (
        "databases",
        _set(
            "routing",
            "SWITCHBOARD_ROUTING_DATABASE_URL",
            "postgresql+asyncpg://routing:${INTAKE_DB_PASSWORD:?}@postgres:5432/routing",
        ),
    ),
    "no such script": ("entrypoints", _stage("escalation", "cmd", ["switchboard-escalate"])),
    "no such command": (
        "entrypoints",
        _service("routing-migrate", "command", ["switchboard-routing", "upgrade"]),
    ),
    "healthy without a check": (
        "dependencies",
        lambda c, _: c["services"]["postgres"].pop("healthcheck"),
    ),
    "completed but restarting": ("dependencies", _service("topics", "restart", "on-failure")),
    "served before migrated": (
        "dependencies",
        lambda c, _: c["services"]["escalation"]["depends_on"].pop("escalation-migrate"),
    ),
    "needs a profile": (
        "dependencies",
        lambda c, _: c["services"]["intake"]["depends_on"].__setitem__(
            "jaeger", {"condition": "service_started"}
        ),
    ),
    "latest": ("images", _service("postgres", "image", "postgres:latest")),
    "unofficial image": ("images", _service("jaeger", "image", "someone/jaeger:2.19.0")),
    "root": ("images", _stage("runtime", "user", "")),
    "missing mount": (
        "bind mounts",
        _service("prometheus", "volumes", ["./deploy/otel/prom.yml:/etc/p.yml:ro"]),
    ),
    "traces elsewhere": (
        "observability",
        _set("intake", "OTEL_EXPORTER_OTLP_ENDPOINT", "http://jaeger:4318"),
    ),
    "unknown exporter": (
        "observability",
        _set("routing", "SWITCHBOARD_ROUTING_OTEL_EXPORTER", "zipkin"),
    ),
}


@pytest.fixture
def fresh() -> tuple[dict[str, Any], Dockerfile]:
    return copy.deepcopy(load_compose()), parse_dockerfile(DOCKERFILE.read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_check_catches_a_break(case: str, fresh: tuple[dict[str, Any], Dockerfile]) -> None:
    compose, dockerfile = fresh
    check, mutate = BREAKS[case]
    mutate(compose, dockerfile)
    assert CHECKS[check](compose, dockerfile) != []


def test_dockerignore_check_catches_a_break(dockerfile: Dockerfile) -> None:
    patterns = [*dockerignore_patterns(), "!.venv", "deploy/docker/wheelhouse"]
    problems = checks.dockerignore(patterns, dockerfile, dockerignored)
    assert any(".venv" in p for p in problems)
    assert any("wheelhouse" in p for p in problems)


class _Readyz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status if self.path == "/readyz" else 404)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize(("status", "ready"), [(200, True), (503, False)])
def test_container_health_check_reads_readyz(status: int, ready: bool) -> None:
    spec = importlib.util.spec_from_file_location(
        "readyz", ROOT / "deploy" / "docker" / "readyz.py"
    )
    assert spec
    assert spec.loader
    readyz = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(readyz)
    handler = type("Handler", (_Readyz,), {"status": status})
    with http.server.HTTPServer(("127.0.0.1", 0), handler) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            assert readyz.ready(server.server_address[1]) is ready
        finally:
            server.shutdown()
