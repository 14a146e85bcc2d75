"""The environment each service process gets: where its database, the broker and its peers
are, and the local defaults the demo needs. Variables the user already exported for a
service (``SWITCHBOARD_<SERVICE>_*``) win over these.

A service may run as several replicas (``replica_environment``): each its own process and
port, all on the service's one database and consumer group. Peers are reached at a
service's first replica; every replica of the console (escalation) and the workspace
(routing) is an allowed browser origin."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.launcher.processes import LOOPBACK, SERVICES

LOCAL_SURVEY_RATE_LIMIT = "600/minute"


@dataclass(frozen=True)
class Wiring:
    ports: Mapping[str, int]
    database_urls: Mapping[str, str]
    kafka_bootstrap: str
    kafka_replication: int = 1
    """The replication factor of the topics services create (3 on a three-node cluster)."""
    routing_policies: Path | None = None
    escalation_config: Path | None = None
    survey_delay_seconds: float = 5.0
    region_time_zones: Mapping[str, str] = field(default_factory=dict)
    """Feedback's roll-up days follow these; the launcher takes them from the calendars."""
    environment: str = "local"
    jwt_secret: str | None = None
    """None: every service keeps its shared development secret, so dev tokens work."""
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per service, settings (without prefix) that win over the launcher's own."""
    extra_ports: Mapping[str, Sequence[int]] = field(default_factory=dict)
    """Per service, the ports of its replicas after the first (which is at ``ports``)."""

    def url(self, service: str) -> str:
        return f"http://{LOOPBACK}:{self.ports[service]}"

    def replica_ports(self, service: str) -> tuple[int, ...]:
        """Every replica's port, the first replica's first."""
        return (self.ports[service], *self.extra_ports.get(service, ()))

    def origins(self, service: str) -> str:
        return ",".join(f"http://{LOOPBACK}:{port}" for port in self.replica_ports(service))


def prefix(service: str) -> str:
    return f"SWITCHBOARD_{service.upper()}_"


def launcher_settings(service: str, wiring: Wiring) -> dict[str, str]:
    """The settings the launcher gives ``service``, without the env prefix."""
    console_origin = wiring.origins("escalation")
    workspace_origin = wiring.origins("routing")
    specific: dict[str, dict[str, str]] = {
        # The agent workspace (routing's) and the console's conversation panel read
        # conversations and customers from intake in the browser.
        "intake": {"CORS_ORIGINS": f"{workspace_origin},{console_origin}"},
        "routing": {
            "CORS_ORIGINS": console_origin,
            "WORKSPACE_INTAKE_URL": wiring.url("intake"),
            "INTAKE_URL": wiring.url("intake"),
        },
        "escalation": {
            "CONSOLE_ROUTING_URL": wiring.url("routing"),
            "CONSOLE_FEEDBACK_URL": wiring.url("feedback"),
            "CONSOLE_INTAKE_URL": wiring.url("intake"),
            "INTAKE_URL": wiring.url("intake"),
        },
        "feedback": {
            "CORS_ORIGINS": console_origin,
            "SURVEY_DELAY_SECONDS": f"{wiring.survey_delay_seconds:g}",
            "PUBLIC_BASE_URL": wiring.url("feedback"),
            # The public survey link is limited per client address, and every customer of a
            # local run (the simulator's, a tester's browser) comes from 127.0.0.1.
            "SURVEY_RATE_LIMIT": LOCAL_SURVEY_RATE_LIMIT,
            "REGION_TIME_ZONES": json.dumps(dict(wiring.region_time_zones), sort_keys=True),
            "INTAKE_URL": wiring.url("intake"),
        },
    }
    if wiring.routing_policies is not None:
        specific["routing"]["POLICIES_FILE"] = str(wiring.routing_policies)
    if wiring.escalation_config is not None:
        specific["escalation"]["CONFIG_FILE"] = str(wiring.escalation_config)
    settings = {
        "DATABASE_URL": wiring.database_urls[service],
        "HTTP_HOST": LOOPBACK,
        "HTTP_PORT": str(wiring.ports[service]),
        "ENVIRONMENT": wiring.environment,
        **specific[service],
    }
    if wiring.jwt_secret is not None:
        settings["JWT_SECRET"] = wiring.jwt_secret
    return settings | dict(wiring.overrides.get(service, {}))


def service_environment(service: str, wiring: Wiring, base: Mapping[str, str]) -> dict[str, str]:
    """``base`` (the launcher's own environment) plus the service's settings; what ``base``
    already says for this service wins."""
    mine = {
        prefix(service) + key: value for key, value in launcher_settings(service, wiring).items()
    }
    env = dict(base) | mine | {k: v for k, v in base.items() if k.startswith(prefix(service))}
    env["KAFKA_BOOTSTRAP_SERVERS"] = wiring.kafka_bootstrap
    env.setdefault("KAFKA_REPLICATION_FACTOR", str(wiring.kafka_replication))
    env["PYTHONUNBUFFERED"] = "1"
    return env


def replica_label(service: str, index: int) -> str:
    """``routing`` for the first replica, ``routing-1``, ``routing-2``... for the others."""
    return service if index == 0 else f"{service}-{index}"


def replica_environment(
    service: str, index: int, wiring: Wiring, base: Mapping[str, str]
) -> dict[str, str]:
    """The environment of replica ``index`` (0: the first) of ``service``. What differs
    between replicas: the HTTP port; routing's replica name (its heartbeat and the pools
    it indexes) when there are several; and intake's own SMTP receiver, which only the
    first replica runs (one port, one listener)."""
    env = service_environment(service, wiring, base)
    ports = wiring.replica_ports(service)
    env[prefix(service) + "HTTP_PORT"] = str(ports[index])
    if service == "routing" and len(ports) > 1:
        env[prefix(service) + "REPLICA_NAME"] = replica_label(service, index)
    if service == "intake" and index > 0:
        env[prefix(service) + "SMTP_ENABLED"] = "false"
    return env


def effective_port(service: str, env: Mapping[str, str]) -> int:
    return int(env[prefix(service) + "HTTP_PORT"])


__all__ = [
    "SERVICES",
    "Wiring",
    "effective_port",
    "launcher_settings",
    "replica_environment",
    "replica_label",
    "service_environment",
]
