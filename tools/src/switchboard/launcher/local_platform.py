"""The whole platform on one machine, in dependency order: broker, databases, services.

``start()`` leaves everything running and ready; ``stop()`` stops the services first (they
flush their outboxes and commit their offsets), then the broker and the database. The data
directory keeps the broker's log, the database and the service logs across runs, so a
second start finds yesterday's cases and adapters.

``LaunchOptions.replicas`` runs a service as several processes (``{"routing": 3}``): the
first replicas on ``ports``, the others on consecutive ports after the highest of them
(``replica_port_base`` moves them); ``url(service, i)`` is replica ``i``'s address."""

from __future__ import annotations

import json
import os
import socket
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from switchboard.launcher.databases import (
    DatabaseKind,
    choose,
    cluster_urls,
    server_urls,
    sqlite_urls,
)
from switchboard.launcher.escalation_config import region_time_zones
from switchboard.launcher.processes import (
    LOOPBACK,
    SERVICES,
    LaunchError,
    ServiceProcess,
    log_tails,
    migrate_all,
    stop_all,
    wait_ready,
)
from switchboard.launcher.wiring import (
    Wiring,
    effective_port,
    replica_environment,
    replica_label,
)
from switchboard.servicekit.devinfra import InfraError
from switchboard.servicekit.devinfra.kafka import KafkaBroker, KafkaCluster
from switchboard.servicekit.devinfra.postgres import PostgresCluster

DEFAULT_PORTS = {"intake": 8001, "routing": 8002, "escalation": 8003, "feedback": 8004}
DEFAULT_KAFKA_PORT = 9092


@dataclass
class LaunchOptions:
    data_dir: Path
    ports: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    kafka_port: int = DEFAULT_KAFKA_PORT
    kafka_bootstrap: str | None = None
    """An existing broker to use instead of starting one."""
    kafka_nodes: int = 1
    """Private Kafka nodes: 1, or a cluster of 3 (topics replicated three times)."""
    database: DatabaseKind = DatabaseKind.AUTO
    postgres_url: str | None = None
    """An existing PostgreSQL server to create the services' databases on."""
    postgres_port: int | None = None
    routing_policies: Path | None = None
    escalation_config: Path | None = None
    survey_delay_seconds: float = 5.0
    jwt_secret: str | None = None
    environment: str = "local"
    overrides: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    base_env: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    ready_timeout: float = 120.0
    replicas: Mapping[str, int] = field(default_factory=dict)
    """Processes per service (default 1 each), e.g. ``{"routing": 3}``."""
    replica_port_base: int | None = None
    """The first port of the replicas after each service's first; default: after ``ports``."""

    def replica_count(self, service: str) -> int:
        return self.replicas.get(service, 1)

    def extra_ports(self) -> dict[str, list[int]]:
        """The ports of every service's replicas after its first, handed out in order."""
        port = self.replica_port_base or max(self.ports.values()) + 1
        extra: dict[str, list[int]] = {}
        for name in SERVICES:
            extra[name] = list(range(port, port + self.replica_count(name) - 1))
            port += len(extra[name])
        return extra


def parse_replicas(text: str) -> dict[str, int]:
    """``intake=2,routing=3`` as ``{"intake": 2, "routing": 3}``; ValueError when wrong."""
    counts: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, equals, count = part.partition("=")
        name = name.strip()
        if not equals or name not in SERVICES or not count.strip().isdigit():
            raise ValueError(f"{part!r}: say SERVICE=COUNT, SERVICE one of {', '.join(SERVICES)}")
        if not 1 <= int(count) <= 16:
            raise ValueError(f"{part!r}: between 1 and 16 replicas")
        counts[name] = int(count)
    return counts


Report = Callable[[str], None]


def _silent(_: str) -> None:
    return None


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((LOOPBACK, port))
        except OSError:
            return True
    return False


class LocalPlatform:
    def __init__(self, options: LaunchOptions) -> None:
        self.options = options
        self.data_dir = options.data_dir.resolve()
        self.broker: KafkaBroker | KafkaCluster | None = None
        self.cluster: PostgresCluster | None = None
        self.services: dict[str, ServiceProcess] = {}
        self.database_note = ""
        self.kafka_bootstrap = options.kafka_bootstrap or f"{LOOPBACK}:{options.kafka_port}"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, report: Report = _silent) -> None:
        """Start everything and wait until every service is ready; on failure, stop what
        was started and raise LaunchError."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self._start_broker(report)
            urls = self._databases(report)
            self._start_services(urls, report)
        except (InfraError, ValueError, OSError) as error:
            self.stop()
            raise LaunchError(str(error)) from error
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        stop_all(self.services.values())
        if self.broker is not None:
            self.broker.stop()
        if self.cluster is not None:
            self.cluster.stop()

    def dead_services(self) -> list[str]:
        return [name for name, service in self.services.items() if not service.alive()]

    def url(self, service: str, i: int = 0) -> str:
        """Replica ``i`` of ``service`` (0: the first)."""
        return self.services[replica_label(service, i)].url

    def urls(self, service: str) -> list[str]:
        """Every replica's address, the first's first."""
        return [self.url(service, i) for i in range(self.options.replica_count(service))]

    def tails(self, lines: int = 40) -> str:
        return log_tails(self.services.values(), lines)

    @property
    def addresses_file(self) -> Path:
        """``{"routing": ["http://127.0.0.1:8002", ...], ...}`` once all are ready."""
        return self.data_dir / "services.json"

    @property
    def logs_dir(self) -> Path:
        return self.data_dir / "logs"

    # -- steps ----------------------------------------------------------------------------

    def _start_broker(self, report: Report) -> None:
        if self.options.kafka_bootstrap:
            report(f"Kafka: using the broker at {self.kafka_bootstrap}")
            return
        if port_taken(self.options.kafka_port):
            raise LaunchError(
                f"port {self.options.kafka_port} is taken, so the private Kafka broker cannot "
                "use it: stop what listens there, pass --kafka-port, or point "
                "KAFKA_BOOTSTRAP_SERVERS at that broker"
            )
        if self.options.kafka_nodes > 1:
            nodes = self.options.kafka_nodes
            report(f"Kafka: starting a private cluster of {nodes} KRaft nodes")
            self.broker = KafkaCluster(
                self.data_dir / "kafka-cluster", size=nodes, first_port=self.options.kafka_port
            )
            self.broker.start()
            self.kafka_bootstrap = self.broker.bootstrap_servers
            report(f"Kafka: {nodes} nodes ready on {self.kafka_bootstrap}")
            return
        report(f"Kafka: starting a private broker (KRaft) in {self.data_dir / 'kafka'}")
        self.broker = KafkaBroker(self.data_dir / "kafka", port=self.options.kafka_port)
        self.broker.start()
        report(f"Kafka: ready on {self.kafka_bootstrap} in {self.broker.startup_seconds:.1f} s")

    def _databases(self, report: Report) -> dict[str, str]:
        self.database_note, urls = self._choose_databases()
        report(f"Databases: {self.database_note}")
        return urls

    def _choose_databases(self) -> tuple[str, dict[str, str]]:
        """What the services use, said in a line for the user, and their URLs."""
        choice = choose(self.options.database, server_url=self.options.postgres_url)
        if choice.kind is DatabaseKind.SQLITE:
            return self._sqlite(choice.why)
        if self.options.postgres_url:
            return (
                "PostgreSQL, one database per service on the configured server",
                server_urls(self.options.postgres_url, SERVICES),
            )
        try:
            self.cluster = PostgresCluster(self.data_dir / "postgres", self.options.postgres_port)
            self.cluster.start()
        except InfraError as error:
            if self.options.database is not DatabaseKind.AUTO:
                raise
            self.cluster = None
            return self._sqlite(f"PostgreSQL could not start: {error}")
        where = f"{self.cluster.url(driver='postgresql')} ({self.data_dir / 'postgres'})"
        return f"PostgreSQL, a private cluster on {where}", cluster_urls(self.cluster, SERVICES)

    def _sqlite(self, why: str) -> tuple[str, dict[str, str]]:
        note = f"SQLite files in {self.data_dir / 'sqlite'} ({why})"
        return note, sqlite_urls(self.data_dir, SERVICES)

    def _start_services(self, database_urls: Mapping[str, str], report: Report) -> None:
        options = self.options
        wiring = Wiring(
            ports=options.ports,
            database_urls=database_urls,
            kafka_bootstrap=self.kafka_bootstrap,
            kafka_replication=1 if options.kafka_bootstrap else options.kafka_nodes,
            routing_policies=options.routing_policies,
            escalation_config=options.escalation_config,
            survey_delay_seconds=options.survey_delay_seconds,
            region_time_zones=region_time_zones(options.escalation_config),
            environment=options.environment,
            jwt_secret=options.jwt_secret,
            overrides=options.overrides,
            extra_ports=options.extra_ports(),
        )
        venv_bin = Path(sys.executable).parent
        for name in SERVICES:
            for index in range(options.replica_count(name)):
                env = replica_environment(name, index, wiring, options.base_env)
                port = effective_port(name, env)
                label = replica_label(name, index)
                if port_taken(port):
                    raise LaunchError(
                        f"port {port} for {label} is taken: stop what listens there or choose "
                        f"other ports (--port-base, --replica-port-base)"
                    )
                log = self.logs_dir / f"{label}.log"
                self.services[label] = ServiceProcess(name, port, env, log, replica=index)
        report("Services: migrating the four databases")
        migrate_all(self.services.values(), venv_bin)
        for service in self.services.values():
            service.start(venv_bin)
        started = ", ".join(
            f"{name} x{options.replica_count(name)}" if options.replica_count(name) > 1 else name
            for name in SERVICES
        )
        report(f"Services: started {started}; waiting until ready")
        wait_ready(self.services.values(), options.ready_timeout)
        self.addresses_file.write_text(
            json.dumps({name: self.urls(name) for name in SERVICES}, indent=2) + "\n"
        )
        report(f"Services: all ready (every replica's address in {self.addresses_file})")
