"""The Helm chart (deploy/helm/switchboard) renders, is valid Kubernetes, and agrees with the
code it deploys.

Offline: helm is built once from the Go module proxy (deploy/tools/go-install.sh), schemas
come inside the pinned kubernetes-validate package, no cluster is needed. Each check also
runs once on a broken copy (``test_each_check_catches_a_break``) so a check that stopped
looking shows up here. `make helm-check` adds helm lint and the schema check's command.
"""

from __future__ import annotations

import asyncio
import copy
import functools
import importlib
import importlib.util
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from switchboard.servicekit.migrations import require_current

from . import helm_checks as checks
from .helm_checks import CHART, PRODUCTION_VALUES, Manifest, container, named, render

ROOT = CHART.parents[2]
DATABASE_URL = "postgresql+asyncpg://intake:pw@intake-rw:5432/intake"

# The renderings every check runs on: the defaults, production, and the other branches
# (a database URL in values, a URL key of an existing Secret, given secrets, routing
# policies, an ingress).
RENDERINGS: dict[str, list[str]] = {
    "defaults": [],
    "production": ["-f", str(PRODUCTION_VALUES)],
    "variants": [
        "--set",
        f"intake.database.url={DATABASE_URL}",
        "--set",
        "routing.database.urlKey=asyncpg-uri",
        "--set",
        "secrets.jwtSecret=" + "j" * 40,
        "--set-json",
        'secrets.feedbackLinkSecrets=["' + "n" * 40 + '","' + "o" * 40 + '"]',
        "--set-file",
        f"routing.policies={ROOT / 'deploy' / 'demo' / 'routing-policies.yaml'}",
        "--set",
        "ingress.enabled=true,ingress.hosts.intake=in.test,ingress.hosts.routing=ro.test",
        "--set",
        "ingress.hosts.feedback=fe.test,publicUrls.intake=https://in.test",
        "--set",
        "publicUrls.routing=https://ro.test,publicUrls.feedback=https://fe.test",
        "--set",
        "tracing.exporter=otlp,tracing.endpoint=http://collector:4318",
        "--set",
        "kafka.securityProtocol=SASL_SSL,kafka.sasl.username=switchboard",
        "--set",
        "kafka.sasl.passwordSecret.name=switchboard-kafka-user,kafka.tls.caSecret.name=kafka-ca",
    ],
}

Check = Callable[[list[Manifest]], list[str]]
CHECKS: dict[str, Check] = {
    "settings": checks.settings,
    "migrations": checks.migrations,
    "probes": checks.probes,
    "ports": checks.ports,
    "topics": checks.topics,
    "security": checks.security,
    "resources": checks.resources,
    "config files": checks.config_files,
    "images": checks.images,
    "availability": checks.availability,
    "public urls": checks.public_urls,
}


@pytest.fixture(scope="session")
def helm() -> Path:
    return checks.helm_binary()


@pytest.fixture(scope="module")
def rendered(helm: Path) -> dict[str, list[Manifest]]:
    return {name: render(helm, *args) for name, args in RENDERINGS.items()}


@functools.cache
def _validator() -> Any:
    """deploy/helm/validate_manifests.py, the schema check `make helm-check` runs."""
    spec = importlib.util.spec_from_file_location(
        "validate_manifests", ROOT / "deploy" / "helm" / "validate_manifests.py"
    )
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
def test_rendered_manifests_are_valid_kubernetes(
    rendering: str, rendered: dict[str, list[Manifest]]
) -> None:
    validate = _validator().validate
    problems = [str(p) for m in rendered[rendering] for p in validate(m)]
    assert problems == []


def _deployment(manifests: list[Manifest], app: str) -> Manifest:
    return checks.deployments(manifests)[app]


SCHEMA_BREAKS: dict[str, tuple[Callable[[list[Manifest]], None], str]] = {
    "unknown field": (
        lambda m: container(_deployment(m, "intake")).__setitem__(
            "readinessProbes", {"httpGet": {"path": "/readyz", "port": "http"}}
        ),
        "readinessProbes",
    ),
    "wrong type": (
        lambda m: _deployment(m, "escalation")["spec"].__setitem__("replicas", "two"),
        "'two' is not of type 'integer'",
    ),
    "missing required field": (
        lambda m: container(_deployment(m, "routing")).pop("name"),
        "'name' is a required property",
    ),
    "unknown kind": (
        lambda m: _deployment(m, "feedback").__setitem__("kind", "Deploymnet"),
        "Couldn't find schema for kind Deploymnet",
    ),
    "removed api": (
        lambda m: checks.of_kind(m, "HorizontalPodAutoscaler")[0].__setitem__(
            "apiVersion", "autoscaling/v2beta2"
        ),
        "autoscaling/v2beta2",
    ),
}


@pytest.mark.parametrize("case", sorted(SCHEMA_BREAKS))
def test_schema_check_refuses_a_broken_manifest(
    case: str, rendered: dict[str, list[Manifest]]
) -> None:
    manifests = copy.deepcopy(rendered["defaults"])
    mutate, expected = SCHEMA_BREAKS[case]
    mutate(manifests)
    problems = [str(p) for m in manifests for p in _validator().validate(m)]
    assert problems
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("rendering", sorted(RENDERINGS))
def test_chart_agrees_with_the_code(
    check: str, rendering: str, rendered: dict[str, list[Manifest]]
) -> None:
    assert CHECKS[check](rendered[rendering]) == []


def test_variants_take_the_other_branches(rendered: dict[str, list[Manifest]]) -> None:
    """The variants rendering really reaches the branches it is there for."""
    manifests = rendered["variants"]
    intake = checks.environment(manifests, _deployment(manifests, "intake"))
    assert intake["SWITCHBOARD_INTAKE_DATABASE_URL"] == DATABASE_URL
    routing = container(_deployment(manifests, "routing"))["env"]
    url = next(e for e in routing if e["name"] == "SWITCHBOARD_ROUTING_DATABASE_URL")
    assert url["valueFrom"]["secretKeyRef"]["key"] == "asyncpg-uri"
    feedback = checks.environment(manifests, _deployment(manifests, "feedback"))
    assert feedback["SWITCHBOARD_FEEDBACK_LINK_SECRETS"] == f'["{"n" * 40}","{"o" * 40}"]'
    assert named(manifests, "ConfigMap", "switchboard-routing-policies")
    assert checks.of_kind(manifests, "Ingress")
    kafka = checks.load_settings(intake, "intake").kafka
    assert kafka.security_protocol == "SASL_SSL"
    assert kafka.sasl_username == "switchboard"
    assert kafka.sasl_password
    assert kafka.ssl_cafile == "/etc/switchboard/kafka-ca/ca.crt"
    mounts = container(_deployment(manifests, "intake"))["volumeMounts"]
    ca_mount = {"name": "kafka-ca", "mountPath": "/etc/switchboard/kafka-ca", "readOnly": True}
    assert ca_mount in mounts


Mutation = Callable[[list[Manifest]], None]


def _env(app: str, name: str, value: str | None) -> Mutation:
    """Set (or, with None, drop) a variable in a service's ConfigMap."""

    def mutate(manifests: list[Manifest]) -> None:
        data = named(manifests, "ConfigMap", f"switchboard-{app}")["data"]  # type: ignore[index]
        if value is None:
            data.pop(name)
        else:
            data[name] = value

    return mutate


def _container(app: str, key: str, value: Any, job: bool = False) -> Mutation:
    def mutate(manifests: list[Manifest]) -> None:
        found = checks.migration_jobs(manifests) if job else checks.deployments(manifests)
        if value is None:
            container(found[app]).pop(key)
        else:
            container(found[app])[key] = value

    return mutate


def _drop(kind: str, name: str) -> Mutation:
    def mutate(manifests: list[Manifest]) -> None:
        manifests.remove(named(manifests, kind, name))  # type: ignore[arg-type]

    return mutate


def _job_env(job: str, name: str, value: str) -> Mutation:
    def mutate(manifests: list[Manifest]) -> None:
        found = named(manifests, "Job", job)
        assert found
        for entry in container(found)["env"]:
            if entry["name"] == name:
                entry["value"] = value

    return mutate


def _secret_unhooked(manifests: list[Manifest]) -> None:
    named(manifests, "Secret", "switchboard")["metadata"].pop("annotations")  # type: ignore[index]


def _probe(app: str, probe: str, path: str) -> Mutation:
    return lambda m: container(_deployment(m, app))[probe]["httpGet"].__setitem__("path", path)


def _security(app: str, key: str, value: Any) -> Mutation:
    return lambda m: container(_deployment(m, app))["securityContext"].__setitem__(key, value)


def _pod_user(manifests: list[Manifest]) -> None:
    checks.pod_spec(_deployment(manifests, "routing"))["securityContext"]["runAsUser"] = 0


def _escalation_config(text: str) -> Mutation:
    def mutate(manifests: list[Manifest]) -> None:
        named(manifests, "ConfigMap", "switchboard-escalation-config")["data"][  # type: ignore[index]
            "escalation.yaml"
        ] = text

    return mutate


def _hpa_gone(manifests: list[Manifest]) -> None:
    for scaler in checks.of_kind(manifests, "HorizontalPodAutoscaler"):
        if scaler["spec"]["scaleTargetRef"]["name"] == "switchboard-routing":
            manifests.remove(scaler)


BREAKS: dict[str, tuple[str, str, Mutation]] = {
    "unknown setting": (
        "settings",
        "defaults",
        _env("routing", "SWITCHBOARD_ROUTING_POLICY_FILE", "/etc/x.yaml"),
    ),
    "prefixed kafka": (
        "settings",
        "defaults",
        _env("intake", "SWITCHBOARD_INTAKE_KAFKA_BOOTSTRAP_SERVERS", "kafka:9092"),
    ),
    "not production": (
        "settings",
        "production",
        _env("feedback", "SWITCHBOARD_FEEDBACK_ENVIRONMENT", "local"),
    ),
    "bad cors origin": (
        "settings",
        "defaults",
        _env("intake", "SWITCHBOARD_INTAKE_CORS_ORIGINS", "http://127.0.0.1:8002/"),
    ),
    "missing secret key": (
        "settings",
        "variants",
        lambda m: named(m, "Secret", "switchboard")["data"].pop("jwt-secret"),  # type: ignore[index]
    ),
    "no database url": (
        "settings",
        "production",
        lambda m: container(_deployment(m, "escalation")).__setitem__(
            "env",
            [
                e
                for e in container(_deployment(m, "escalation"))["env"]
                if e["name"] != "SWITCHBOARD_ESCALATION_DATABASE_URL"
            ],
        ),
    ),
    "migrate command": (
        "migrations",
        "defaults",
        _container("routing", "command", ["switchboard-routing", "upgrade"], job=True),
    ),
    "no migration job": ("migrations", "production", _drop("Job", "switchboard-feedback-migrate")),
    "secret made after the hooks": ("migrations", "defaults", _secret_unhooked),
    "job settings drift": (
        "migrations",
        "defaults",
        _job_env("switchboard-escalation-migrate", "KAFKA_BOOTSTRAP_SERVERS", "other:9092"),
    ),
    "readiness on healthz": ("probes", "defaults", _probe("intake", "readinessProbe", "/healthz")),
    "liveness elsewhere": ("probes", "production", _probe("feedback", "livenessProbe", "/health")),
    "no startup probe": ("probes", "defaults", _container("routing", "startupProbe", None)),
    "port mismatch": (
        "ports",
        "defaults",
        _env("feedback", "SWITCHBOARD_FEEDBACK_HTTP_PORT", "8080"),
    ),
    "loopback in a pod": (
        "ports",
        "defaults",
        _env("routing", "SWITCHBOARD_ROUTING_HTTP_HOST", "127.0.0.1"),
    ),
    "service misses its pods": (
        "ports",
        "production",
        lambda m: named(m, "Service", "switchboard-escalation")["spec"]["selector"].__setitem__(  # type: ignore[index]
            "app.kubernetes.io/component", "escalations"
        ),
    ),
    "missing dead-letter topic": (
        "topics",
        "defaults",
        _job_env("switchboard-topics", "TOPICS", "switchboard.cases switchboard.dlq.intake"),
    ),
    "partitions": ("topics", "production", _job_env("switchboard-topics", "TOPIC_PARTITIONS", "6")),
    "topics elsewhere": (
        "topics",
        "defaults",
        _job_env("switchboard-topics", "BOOTSTRAP_SERVER", "kafka:9092"),
    ),
    "root": ("security", "defaults", _pod_user),
    "writable root": (
        "security",
        "production",
        _security("intake", "readOnlyRootFilesystem", False),
    ),
    "escalating": ("security", "defaults", _security("feedback", "allowPrivilegeEscalation", True)),
    "no limits": (
        "resources",
        "defaults",
        lambda m: container(_deployment(m, "escalation"))["resources"].pop("limits"),
    ),
    "broken escalation config": (
        "config files",
        "defaults",
        _escalation_config("sla_policies:\n  - name: x\n    targets: {first_response: soon}\n"),
    ),
    "config not mounted": (
        "config files",
        "production",
        lambda m: container(_deployment(m, "escalation"))["volumeMounts"].pop(),
    ),
    "broken routing policies": (
        "config files",
        "variants",
        lambda m: named(m, "ConfigMap", "switchboard-routing-policies")["data"].__setitem__(  # type: ignore[index]
            "routing-policies.yaml", "policies:\n  - name: x\n    when: 'case.nope =='\n"
        ),
    ),
    "another service's image": (
        "images",
        "defaults",
        _container("routing", "image", "switchboard-intake:0.1.0"),
    ),
    "unpinned image": (
        "images",
        "production",
        _container("intake", "image", "switchboard-intake:latest", job=True),
    ),
    "no budget": ("availability", "defaults", _drop("PodDisruptionBudget", "switchboard-feedback")),
    "no autoscaler": ("availability", "production", _hpa_gone),
    "replicas beside an hpa": (
        "availability",
        "defaults",
        lambda m: _deployment(m, "intake")["spec"].__setitem__("replicas", 2),
    ),
    "console told another host": (
        "public urls",
        "production",
        _env(
            "escalation",
            "SWITCHBOARD_ESCALATION_CONSOLE_ROUTING_URL",
            "https://routing.example.org",
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_check_catches_a_break(case: str, rendered: dict[str, list[Manifest]]) -> None:
    check, rendering, mutate = BREAKS[case]
    manifests = copy.deepcopy(rendered[rendering])
    assert CHECKS[check](manifests) == []
    mutate(manifests)
    assert CHECKS[check](manifests) != []


REFUSED: dict[str, tuple[list[str], str]] = {
    "no database": (
        ["--set", "feedback.database.existingSecret="],
        "feedback.database: set url or existingSecret",
    ),
    "misspelt value": (["--set", "intake.replica=3"], "additional properties 'replica'"),
    "url with a path": (
        ["--set", "publicUrls.console=https://console.test/"],
        "/publicUrls/console",
    ),
    "unknown exporter": (["--set", "tracing.exporter=zipkin"], "/tracing/exporter"),
    "short link secret": (["--set-json", 'secrets.feedbackLinkSecrets=["short"]'], "/0"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_rendering_refuses_bad_values(case: str, helm: Path) -> None:
    """values.schema.json and the templates refuse values the services could not run on."""
    args, expected = REFUSED[case]
    result = subprocess.run(
        [str(helm), "template", "switchboard", str(CHART), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert expected in result.stderr


@pytest.mark.integration
@pytest.mark.parametrize("app", checks.APPS)
def test_migration_job_migrates_a_cloudnativepg_style_database(
    app: str, rendered: dict[str, list[Manifest]], database_factory: Callable[..., str]
) -> None:
    """The defaults' migration Job, its URL joined from a CloudNativePG-style Secret's
    parts as the kubelet joins them, really migrates a PostgreSQL database."""
    url = make_url(database_factory(f"helm_{app}"))
    parts = {
        "username": url.username,
        "password": url.password,
        "host": url.host,
        "port": str(url.port),
        "dbname": url.database,
    }

    def cloudnativepg(name: str, key: str) -> str:
        assert name == f"switchboard-{app}-app"
        return str(parts[key])

    manifests = rendered["defaults"]
    job = checks.migration_jobs(manifests)[app]
    env = checks.environment(manifests, job, external=cloudnativepg)
    script = Path(sys.executable).with_name(container(job)["command"][0])
    result = subprocess.run(
        [str(script), *container(job)["command"][1:]],
        env={"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/tmp"), **env},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    definition = importlib.import_module(f"switchboard.{app}.bootstrap").DEFINITION
    schema = definition.migrations
    asyncio.run(
        require_current(
            env[f"SWITCHBOARD_{app.upper()}_DATABASE_URL"],
            versions_dir=schema.versions_dir,
            metadata=schema.metadata,
        )
    )
