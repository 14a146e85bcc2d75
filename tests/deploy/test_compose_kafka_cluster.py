"""docker-compose.kafka-cluster.yml, merged over docker-compose.yml by Compose itself
(`docker compose config`), is a three-node KRaft cluster every client reaches.

Needs the Compose v2 binary (deploy/tools/compose-install.sh builds it into .tools/bin; COMPOSE
names another): without one these tests skip, and `make compose-test` runs them after building
it. Each check also runs on a broken copy, so a check that stopped looking shows up.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from .compose_model import APPS, ROOT

CLUSTER = ROOT / "docker-compose.kafka-cluster.yml"
LOCAL = ROOT / "deploy" / "compose" / "local.yml"
LOCAL_CLUSTER = ROOT / "deploy" / "compose" / "local.kafka-cluster.yml"
NODES = ("kafka", "kafka-2", "kafka-3")
REQUIRED = (
    "POSTGRES_PASSWORD",
    "INTAKE_DB_PASSWORD",
    "ROUTING_DB_PASSWORD",
    "ESCALATION_DB_PASSWORD",
    "FEEDBACK_DB_PASSWORD",
    "JWT_SECRET",
    "INTAKE_ADAPTER_SECRET_KEYS",
    "FEEDBACK_LINK_SECRET",
    "GRAFANA_ADMIN_PASSWORD",
)
_LISTENER = re.compile(r"^(\w+)://([^,]*):(\d+)$")


def compose_binary() -> str | None:
    named = os.environ.get("COMPOSE") or str(ROOT / ".tools" / "bin" / "docker-compose")
    return named if Path(named).is_file() else None


def merged(*files: Path, env_file: Path) -> dict[str, Any]:
    binary = compose_binary()
    if binary is None:
        pytest.skip("no Compose v2 binary (deploy/tools/compose-install.sh builds one)")
    arguments = [binary, "--project-name", "kafka-cluster-check", "--env-file", str(env_file)]
    for path in files:
        arguments += ["--file", str(path)]
    result = subprocess.run(
        [*arguments, "config", "--format", "json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    config: dict[str, Any] = json.loads(result.stdout)
    return config


@pytest.fixture(scope="module")
def env_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("env") / ".env"
    path.write_text("".join(f"{name}=x{index}\n" for index, name in enumerate(REQUIRED)))
    return path


@pytest.fixture(scope="module")
def published(env_file: Path) -> dict[str, Any]:
    return merged(ROOT / "docker-compose.yml", CLUSTER, env_file=env_file)


@pytest.fixture(scope="module")
def local(env_file: Path) -> dict[str, Any]:
    return merged(ROOT / "docker-compose.yml", CLUSTER, LOCAL, LOCAL_CLUSTER, env_file=env_file)


def listeners(value: str) -> dict[str, tuple[str, int]]:
    found = {}
    for spec in value.split(","):
        match = _LISTENER.match(spec.strip())
        assert match, spec
        found[match[1]] = (match[2], int(match[3]))
    return found


def _reach(service: str, node: dict[str, Any], name: str) -> str:
    """Where a client (or another node) reaches a node's listener ``name``: its own address
    on the host network, the service name on Compose's network."""
    env = node["environment"]
    host, port = listeners(env["KAFKA_LISTENERS"])[name]
    if name == "PLAINTEXT":
        host, port = listeners(env["KAFKA_ADVERTISED_LISTENERS"])[name]
    return f"{host or service}:{port}"


def cluster_problems(config: dict[str, Any]) -> list[str]:
    services = config["services"]
    problems = []
    nodes = {
        name: service
        for name, service in services.items()
        if "KAFKA_PROCESS_ROLES" in service.get("environment", {})
    }
    if sorted(nodes) != sorted(NODES):
        return [f"Kafka nodes {sorted(nodes)}, not {list(NODES)}"]
    envs = {name: node["environment"] for name, node in nodes.items()}
    ids = {name: str(env.get("KAFKA_NODE_ID")) for name, env in envs.items()}
    if sorted(ids.values()) != ["1", "2", "3"]:
        problems.append(f"node ids {ids}")
    expected_voters = {f"{ids[name]}@{_reach(name, nodes[name], 'CONTROLLER')}" for name in nodes}
    for name, env in envs.items():
        if env.get("KAFKA_PROCESS_ROLES") != "broker,controller":
            problems.append(f"{name}: roles {env.get('KAFKA_PROCESS_ROLES')}")
        voters = set(str(env.get("KAFKA_CONTROLLER_QUORUM_VOTERS", "")).split(","))
        if voters != expected_voters:
            problems.append(f"{name}: voters {sorted(voters)}, not {sorted(expected_voters)}")
        wanted = {
            "KAFKA_DEFAULT_REPLICATION_FACTOR": "3",
            "KAFKA_MIN_INSYNC_REPLICAS": "2",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR": "3",
            "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR": "3",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR": "2",
        }
        for key, value in wanted.items():
            if str(env.get(key)) != value:
                problems.append(f"{name}: {key}={env.get(key)}, not {value}")
    if len({env.get("CLUSTER_ID") for env in envs.values()}) != 1:
        problems.append("the nodes disagree on CLUSTER_ID")
    data = [volume.get("source") for node in nodes.values() for volume in node.get("volumes", [])]
    if len(set(data)) != len(nodes):
        problems.append(f"data volumes {data}: one per node")
    if all(node.get("network_mode") == "host" for node in nodes.values()):
        addresses = [
            address
            for env in envs.values()
            for address in listeners(env["KAFKA_LISTENERS"]).values()
        ]
        if len(set(addresses)) != len(addresses):
            problems.append(f"listeners share a port: {addresses}")
        if any(host != "127.0.0.1" for host, _ in addresses):
            problems.append(f"a listener off loopback: {addresses}")
    brokers = {_reach(name, node, "PLAINTEXT") for name, node in nodes.items()}
    topics = services["topics"]["environment"]
    if set(topics["BOOTSTRAP_SERVER"].split(",")) != brokers:
        problems.append(f"topics: bootstrap {topics['BOOTSTRAP_SERVER']}")
    if str(topics.get("TOPIC_REPLICATION_FACTOR")) != "3":
        problems.append(f"topics: replication factor {topics.get('TOPIC_REPLICATION_FACTOR')}")
    for app in APPS:
        for name in (app, f"{app}-migrate"):
            env = services[name]["environment"]
            if set(env["KAFKA_BOOTSTRAP_SERVERS"].split(",")) != brokers:
                problems.append(f"{name}: bootstrap {env['KAFKA_BOOTSTRAP_SERVERS']}")
            if str(env.get("KAFKA_REPLICATION_FACTOR")) != "3":
                problems.append(
                    f"{name}: KAFKA_REPLICATION_FACTOR {env.get('KAFKA_REPLICATION_FACTOR')}"
                )
        waits = services[app].get("depends_on", {})
        for node in NODES:
            if waits.get(node, {}).get("condition") != "service_healthy":
                problems.append(f"{app} starts before {node} is healthy")
    return problems


def test_published_cluster_file(published: dict[str, Any]) -> None:
    assert cluster_problems(published) == []
    ports = [port["published"] for node in NODES for port in published["services"][node]["ports"]]
    assert len(set(ports)) == 3
    assert all(
        port["host_ip"] == "127.0.0.1"
        for node in NODES
        for port in published["services"][node]["ports"]
    )


def test_local_cluster_file(local: dict[str, Any]) -> None:
    assert cluster_problems(local) == []
    assert {local["services"][node]["image"] for node in NODES} == {"switchboard-kafka:4.3.1"}


def test_one_node_file_unchanged(env_file: Path) -> None:
    config = merged(ROOT / "docker-compose.yml", env_file=env_file)
    assert "kafka-2" not in config["services"]
    assert "KAFKA_REPLICATION_FACTOR" not in config["services"]["intake"]["environment"]
    assert cluster_problems(config) != []


def _env(service: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda config: config["services"][service]["environment"].__setitem__(key, value)


BREAKS: dict[str, Callable[[dict[str, Any]], None]] = {
    "min insync 1": _env("kafka-2", "KAFKA_MIN_INSYNC_REPLICAS", "1"),
    "duplicate node id": _env("kafka-3", "KAFKA_NODE_ID", "2"),
    "voter on another port": _env(
        "kafka",
        "KAFKA_CONTROLLER_QUORUM_VOTERS",
        "1@127.0.0.1:1,2@127.0.0.1:2,3@127.0.0.1:3",
    ),
    "service on one broker": _env("routing", "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092"),
    "service with rf 1": _env("feedback", "KAFKA_REPLICATION_FACTOR", "1"),
    "topics rf 1": _env("topics", "TOPIC_REPLICATION_FACTOR", "1"),
    "not waiting for a node": lambda config: config["services"]["intake"]["depends_on"].pop(
        "kafka-3"
    ),
    "shared data": lambda config: config["services"]["kafka-3"].__setitem__(
        "volumes", config["services"]["kafka-2"]["volumes"]
    ),
    "controller off loopback": _env(
        "kafka-2", "KAFKA_LISTENERS", "PLAINTEXT://127.0.0.1:19094,CONTROLLER://0.0.0.0:19095"
    ),
}


@pytest.mark.parametrize("case", sorted(BREAKS))
def test_each_check_catches_a_break(case: str, local: dict[str, Any]) -> None:
    broken = copy.deepcopy(local)
    BREAKS[case](broken)
    assert cluster_problems(broken) != []
