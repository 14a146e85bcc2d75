"""Where the broker's jars, config and data live, and the server.properties it runs with."""

from __future__ import annotations

import base64
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

from switchboard.servicekit.devinfra._process import LOOPBACK, InfraError

POM = Path("deploy/kafka/pom.xml")
LIBS = Path(".cache/kafka/libs")


def _ancestors(start: Path) -> Iterator[Path]:
    yield start
    yield from start.parents


def repo_root() -> Path | None:
    """The checkout holding deploy/kafka/pom.xml, looked for above cwd and above this file."""
    for start in (Path.cwd().resolve(), Path(__file__).resolve().parent):
        for candidate in _ancestors(start):
            if (candidate / POM).is_file():
                return candidate
    return None


def find_libs(explicit: Path | None = None) -> Path:
    """The fetched jars; fetch-jars.sh writes the .complete marker only after a full copy."""
    root = repo_root()
    if explicit is not None:
        libs = explicit
    elif os.environ.get("SWITCHBOARD_KAFKA_LIBS"):
        libs = Path(os.environ["SWITCHBOARD_KAFKA_LIBS"])
    elif root is not None:
        libs = root / LIBS
    else:
        raise InfraError(
            "cannot find the Kafka jars: set SWITCHBOARD_KAFKA_LIBS or run from the "
            "Switchboard checkout after `make setup`"
        )
    if not (libs / ".complete").is_file() or not any(libs.glob("kafka_2.13-*.jar")):
        raise InfraError(
            f"the Kafka broker jars are missing from {libs}: run `make setup` "
            "(or deploy/kafka/fetch-jars.sh) once"
        )
    return libs


def log4j_config() -> Path | None:
    root = repo_root()
    config = root / "deploy/kafka/log4j2.xml" if root else None
    return config if config and config.is_file() else None


def find_java() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin/java").is_file():
        return str(Path(java_home) / "bin/java")
    found = shutil.which("java")
    if found is None:
        raise InfraError("no java found: install a JRE 17+ or set JAVA_HOME")
    return found


def new_cluster_id() -> str:
    """Kafka's own format: 16 random bytes, url-safe base64 without padding."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):  # a leading dash reads as a CLI flag
            return cluster_id


def server_properties(
    *,
    log_dir: Path,
    port: int,
    controller_port: int,
    partitions: int,
    node_id: int = 1,
    voters: str | None = None,
    replication: int = 1,
) -> str:
    """A node that is both broker and KRaft controller, tuned for tests: alone, or one of
    a cluster (``voters``: every node's ``id@host:controller_port``; ``replication``: the
    replication factor of new and internal topics, with ``min.insync.replicas`` one less,
    so one node may be down without stopping acks=all writes)."""
    min_insync = str(max(1, replication - 1))
    failover = (
        # A dead node's partitions get new leaders once the controller misses its
        # heartbeats for this long (9 s by default): a cluster here fails over in ~4 s.
        {"broker.session.timeout.ms": "4000", "broker.heartbeat.interval.ms": "1000"}
        if voters
        else {}
    )
    settings = {
        **failover,
        "process.roles": "broker,controller",
        "node.id": str(node_id),
        # Static voters, not a formatted dynamic quorum, so a restart may change ports.
        "controller.quorum.voters": voters or f"{node_id}@{LOOPBACK}:{controller_port}",
        "listeners": f"PLAINTEXT://{LOOPBACK}:{port},CONTROLLER://{LOOPBACK}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{LOOPBACK}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(log_dir),
        "num.partitions": str(partitions),
        "default.replication.factor": str(replication),
        "min.insync.replicas": min_insync,
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": str(replication),
        # Fewer internal partitions than the defaults (50) make the first group join fast.
        "offsets.topic.num.partitions": "5",
        "transaction.state.log.replication.factor": str(replication),
        "transaction.state.log.min.isr": min_insync,
        "transaction.state.log.num.partitions": "5",
        "share.coordinator.state.topic.replication.factor": str(replication),
        "share.coordinator.state.topic.min.isr": min_insync,
        "group.initial.rebalance.delay.ms": "0",
        "num.network.threads": "2",
        "num.io.threads": "4",
        "num.recovery.threads.per.data.dir": "2",
    }
    return "".join(f"{key}={value}\n" for key, value in settings.items())
