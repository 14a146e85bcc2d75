"""Checks of docker-compose.yml against the code. Each takes the parsed documents and
returns its problems, one sentence each, so a test can also feed it a broken copy."""

from __future__ import annotations

import base64
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

import typer.main
import yaml
from pydantic import SecretStr, ValidationError
from sqlalchemy.engine import URL, make_url

from switchboard.contracts.topics import ALL_TOPICS, dead_letter_topic
from switchboard.servicekit.settings import ServiceSettings

from .compose_model import (
    ROOT,
    Dockerfile,
    app_of,
    console_scripts,
    env_names,
    environment,
    parse_port,
    project_version,
    required_variables,
    resolve,
    settings_class,
)

# Variables a service reads that are not its settings: the OpenTelemetry SDK's own.
FOREIGN_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT"}
TRACE_EXPORTERS = {"none", "console", "otlp"}
OFFICIAL_IMAGES = {
    "apache/kafka",
    "postgres",
    "otel/opentelemetry-collector-contrib",
    "jaegertracing/jaeger",
    "prom/prometheus",
    "grafana/grafana",
}


def operator_environment(compose: dict[str, Any]) -> dict[str, str]:
    """What an operator's .env gives: a fresh random value for each required variable (URL-
    and JSON-safe, 32+ bytes, and a valid Fernet key where one is needed)."""
    return {
        name: base64.urlsafe_b64encode(os.urandom(32)).decode()
        for name in sorted(required_variables(compose))
    }


def apps(compose: dict[str, Any]) -> dict[str, str]:
    """Compose service name to the Switchboard service it runs."""
    return {name: app for name, service in compose["services"].items() if (app := app_of(service))}


@contextmanager
def only_environment(env: dict[str, str]) -> Iterator[None]:
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def load_settings(compose: dict[str, Any], name: str) -> ServiceSettings:
    """The settings a compose service's process builds from its resolved environment."""
    service = resolve(compose, operator_environment(compose))["services"][name]
    with only_environment(environment(service)):
        return settings_class(app_of(service) or "").load()


def settings_names(compose: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    problems = []
    for name, app in apps(compose).items():
        known = env_names(settings_class(app))
        given = environment(compose["services"][name])
        given |= dockerfile.inherited(app, "env")
        for variable in given:
            if variable.startswith(("SWITCHBOARD_", "KAFKA_")) and variable not in known:
                problems.append(f"{name}: {variable} is no setting of {app}")
            elif variable not in known and variable not in FOREIGN_VARIABLES:
                problems.append(f"{name}: {variable} is read by nothing")
    return problems


def production_settings(compose: dict[str, Any]) -> list[str]:
    """Every service builds its settings in production, each given variable taking effect."""
    problems = []
    for name, app in apps(compose).items():
        try:
            settings = load_settings(compose, name)
        except (ValidationError, KeyError) as error:
            problems.append(f"{name}: settings refused: {error}")
            continue
        names = env_names(settings_class(app))
        for variable in environment(compose["services"][name]):
            field = names.get(variable)
            if field and field not in settings.model_fields_set:
                problems.append(f"{name}: {variable} does not reach {field}")
        if settings.environment != "production":
            problems.append(f"{name}: ENVIRONMENT is {settings.environment!r}, not production")
    return problems


def required_secrets(compose: dict[str, Any]) -> list[str]:
    """Secrets are required variables (``${VAR:?…}``), never defaults in the file."""
    problems = []
    for name, app in apps(compose).items():
        cls = settings_class(app)
        given = environment(compose["services"][name])
        by_field = {field: variable for variable, field in env_names(cls).items()}
        for field, info in cls.model_fields.items():
            if "SecretStr" not in repr(info.annotation) and info.annotation is not SecretStr:
                continue
            if info.default is None and not info.is_required():
                continue  # used only with a feature the file leaves off (a managed Kafka's SASL)
            value = given.get(by_field[field], "")
            if not re.search(r"\$\{\w+:\?[^}]*\}", value):
                problems.append(f"{name}: {by_field[field]} must be a required ${{VAR:?}}")
        raw_url, url = _database_url(compose, name, app)
        if url.drivername != "postgresql+asyncpg" or not _password_variable(raw_url):
            problems.append(f"{name}: DATABASE_URL needs asyncpg and a required password")
    return problems


def resolve_lenient(compose: dict[str, Any], **env: str) -> dict[str, Any]:
    resolved: dict[str, Any] = resolve(compose, operator_environment(compose) | env)
    return resolved


def _password_variable(raw_url: str) -> str | None:
    """The required variable a database URL takes its password from, if it does."""
    match = re.match(r"^[\w+]+://\w+:\$\{(\w+):\?[^}]*\}@", raw_url)
    return match.group(1) if match else None


def _database_url(compose: dict[str, Any], name: str, app: str) -> tuple[str, URL]:
    """A service's DATABASE_URL as written, and parsed once resolved."""
    names = {field: var for var, field in env_names(settings_class(app)).items()}
    raw = environment(compose["services"][name]).get(names["database_url"], "sqlite://")
    return raw, make_url(resolve({"url": raw}, operator_environment({"url": raw}))["url"])


def ports(compose: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    problems = []
    for scaled in ({}, {"ROUTING_HOST_PORT": ""}):  # the scaled case publishes ephemeral ports
        for name, service in resolve_lenient(compose, **scaled)["services"].items():
            for spec in service.get("ports", []):
                if parse_port(spec).host_ip != "127.0.0.1":
                    problems.append(f"{name}: {spec} is published beyond 127.0.0.1")
    problems = list(dict.fromkeys(problems))
    resolved = resolve_lenient(compose)
    for name, app in apps(compose).items():
        settings = load_settings(compose, name)
        service = resolved["services"][name]
        if settings.http_host != "0.0.0.0":
            problems.append(f"{name}: HTTP_HOST must be 0.0.0.0 in a container")
        used = {parse_port(spec).target for spec in service.get("ports", [])}
        checks = service.get("healthcheck", {})
        if not checks.get("disable"):
            used.add(_readyz_port(name, checks.get("test", []), problems))
        image_check = dockerfile.inherited(app, "healthcheck")
        used |= {_readyz_port(f"Dockerfile {app}", image_check, problems)}
        used |= set(dockerfile.inherited(app, "expose"))
        if used - {settings.http_port}:
            problems.append(f"{name}: ports {sorted(used)} but HTTP_PORT {settings.http_port}")
    return problems


def _readyz_port(where: str, test: list[str], problems: list[str]) -> int:
    if "/opt/switchboard/readyz.py" not in test:
        problems.append(f"{where}: the health check does not probe /readyz")
        return -1
    return int(test[test.index("/opt/switchboard/readyz.py") + 1])


def kafka_image(compose: dict[str, Any], kafka_version: str) -> list[str]:
    """The broker and the topics job run the Kafka that tests run (deploy/kafka/pom.xml)."""
    expected = f"apache/kafka:{kafka_version}"
    return [
        f"{name}: image {compose['services'][name].get('image')} is not {expected}"
        for name in ("kafka", "topics")
        if compose["services"][name].get("image") != expected
    ]


def topics(compose: dict[str, Any]) -> list[str]:
    job = environment(compose["services"]["topics"])
    created = set(job["TOPICS"].split())
    expected = {topic.name for topic in ALL_TOPICS}
    problems = []
    for name in apps(compose):
        settings = load_settings(compose, name)
        expected.add(dead_letter_topic(settings.consumer_group))  # type: ignore[attr-defined]
        if int(job["TOPIC_PARTITIONS"]) != settings.topic_partitions:
            problems.append(f"{name}: expects {settings.topic_partitions} partitions per topic")
        if settings.kafka_bootstrap_servers != job["BOOTSTRAP_SERVER"]:
            problems.append(f"{name}: another broker than the topics job's")
    advertised = environment(compose["services"]["kafka"])["KAFKA_ADVERTISED_LISTENERS"]
    if f"://{job['BOOTSTRAP_SERVER']}" not in advertised:
        problems.append(f"kafka does not advertise {job['BOOTSTRAP_SERVER']}")
    if created != expected:
        problems.append(f"topics: missing {expected - created}, unknown {created - expected}")
    return problems


def databases(compose: dict[str, Any], init_script: str) -> list[str]:
    created = dict(re.findall(r'^create_database (\w+) "\$\{(\w+):\?\}"', init_script, re.M))
    postgres_env = environment(compose["services"]["postgres"])
    problems = []
    for name, app in apps(compose).items():
        raw_url, url = _database_url(compose, name, app)
        password = _password_variable(raw_url)
        if url.database not in created or url.username != url.database:
            problems.append(f"{name}: database {url.database} is not created by the init script")
        elif password != created[url.database]:
            problems.append(f"{name}: its password is not the one its role is created with")
        elif f"${{{created[url.database]}:?" not in postgres_env.get(created[url.database], ""):
            problems.append(f"postgres: {created[url.database]} is not given to the init script")
        if (url.host, url.port) != ("postgres", 5432):
            problems.append(f"{name}: database host is not the postgres service")
    return problems


def entrypoints(compose: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    problems = []
    for name, app in apps(compose).items():
        scripts = console_scripts(app)
        for where, command in (
            (f"Dockerfile {app}", dockerfile.inherited(app, "cmd")),
            (name, compose["services"][name].get("command")),
        ):
            if command is None:
                continue
            if not command or command[0] not in scripts:
                problems.append(f"{where}: {command} names no console script of {app}")
            elif len(command) > 1 and command[1] not in _subcommands(scripts[command[0]]):
                problems.append(f"{where}: {command[0]} has no command {command[1]!r}")
    return problems


def _subcommands(entry_point: str) -> set[str]:
    module_name, _, _ = entry_point.partition(":")
    module = __import__(module_name, fromlist=["_"])
    typers = [obj for obj in vars(module).values() if isinstance(obj, typer.Typer)]
    commands = set()
    for app in typers:
        group = typer.main.get_command(app)
        commands |= set(getattr(group, "commands", {}))
    return commands


def dependencies(compose: dict[str, Any]) -> list[str]:
    services = compose["services"]
    problems = []
    for name, service in services.items():
        for target, how in (service.get("depends_on") or {}).items():
            other = services.get(target)
            condition = how.get("condition", "service_started")
            if other is None:
                problems.append(f"{name}: depends on {target}, which does not exist")
                continue
            check = other.get("healthcheck", {})
            if condition == "service_healthy" and (not check.get("test") or check.get("disable")):
                problems.append(f"{name}: waits for {target} to be healthy, it has no check")
            if condition == "service_completed_successfully" and other.get("restart") != "no":
                problems.append(f"{name}: waits for {target} to complete, it restarts")
            if other.get("profiles") and not service.get("profiles"):
                problems.append(f"{name}: depends on {target}, which only runs in a profile")
        problems += _migrated_first(name, service, services)
    return problems


def _migrated_first(name: str, service: dict[str, Any], services: dict[str, Any]) -> list[str]:
    """A service that serves starts only after its one-shot migration job completed."""
    app = app_of(service)
    if app is None or "serve" not in (service.get("command") or []):
        return []
    job = f"{app}-migrate"
    waits = (service.get("depends_on") or {}).get(job, {}).get("condition")
    if waits != "service_completed_successfully":
        return [f"{name}: does not wait for {job} to complete"]
    if services.get(job, {}).get("command") != [f"switchboard-{app}", "migrate"]:
        return [f"{job}: does not run switchboard-{app} migrate"]
    return []


def images(compose: dict[str, Any], dockerfile: Dockerfile) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        repository, _, tag = service.get("image", "").rpartition(":")
        if not tag or tag == "latest" or not re.search(r"\d", tag):
            problems.append(f"{name}: image {service.get('image')!r} is not pinned")
        elif app := app_of(service):
            if (repository, tag) != (f"switchboard-{app}", project_version(app)):
                problems.append(f"{name}: image is not switchboard-{app}:{project_version(app)}")
        elif repository not in OFFICIAL_IMAGES:
            problems.append(f"{name}: {repository} is not one of the official images")
    for stage in dockerfile.stages.values():
        if stage.base not in dockerfile.stages and not stage.base.startswith("python:3.11-"):
            problems.append(f"Dockerfile: base image {stage.base} is not a pinned python:3.11")
    for target in dockerfile.stages:
        runs = dockerfile.inherited(target, "cmd")
        if runs and dockerfile.inherited(target, "user") in ("", "root", "0"):
            problems.append(f"Dockerfile {target}: runs as root")
    return problems


def bind_mounts(compose: dict[str, Any]) -> list[str]:
    problems = []
    for name, service in compose["services"].items():
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith(".") and not (ROOT / source).exists():
                problems.append(f"{name}: mounts {source}, which does not exist")
    return problems


def observability(compose: dict[str, Any], collector: str, prometheus: str) -> list[str]:
    services = compose["services"]
    problems = []
    receiver = yaml.safe_load(collector)["receivers"]["otlp"]["protocols"]["http"]["endpoint"]
    exporters = yaml.safe_load(collector)["exporters"].values()
    collectors = [
        name
        for name, service in services.items()
        if "observability" in service.get("profiles", [])
        and any(
            str(v).startswith("./deploy/otel/collector.yaml:") for v in service.get("volumes", [])
        )
    ]
    if not any(e.get("endpoint", "").split(":")[0] in services for e in exporters):
        problems.append("collector: exports to no service of this file")
    for name in apps(compose):
        given = environment(services[name])
        endpoint = given.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        host, _, port = endpoint.removeprefix("http://").partition(":")
        if host not in collectors:
            problems.append(f"{name}: traces go to {host!r}, not to the collector {collectors}")
        elif port != receiver.rpartition(":")[2]:
            problems.append(
                f"{name}: traces go to port {port}, the collector listens on {receiver}"
            )
        exporter = load_settings(compose, name).otel_exporter
        if exporter not in TRACE_EXPORTERS:
            problems.append(f"{name}: OTEL_EXPORTER {exporter!r} is none of {TRACE_EXPORTERS}")
        http_port = load_settings(compose, name).http_port
        one_shot = services[name].get("restart") == "no"
        if not one_shot and (name, http_port) not in _scraped(prometheus):
            problems.append(f"prometheus: does not scrape {name} on {http_port}")
    return problems


def _scraped(prometheus: str) -> set[tuple[str, int]]:
    targets = set()
    for job in yaml.safe_load(prometheus)["scrape_configs"]:
        for config in job.get("static_configs", []):
            for target in config["targets"]:
                host, _, port = target.partition(":")
                targets.add((host, int(port)))
        for config in job.get("dns_sd_configs", []):
            targets |= {(host, int(config["port"])) for host in config["names"]}
    return targets


def dockerignore(patterns: list[str], dockerfile: Dockerfile, ignored: Any) -> list[str]:
    problems = [
        f".dockerignore: {path} goes into the build context"
        for path in (".venv", ".data", ".cache", ".git", ".env", ".hypothesis", ".mypy_cache")
        if not ignored(path, patterns)
    ]
    for stage in dockerfile.stages.values():
        problems += [
            f".dockerignore: leaves out {source}, which the Dockerfile copies"
            for source in stage.copies
            if ignored(source, patterns)
        ]
    return problems
