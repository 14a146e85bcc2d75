"""docker-compose.yml really run: every image built here, ``up --wait`` until every service
is healthy, one contact through intake to an agent, ``down -v``.

Run by ``make compose-test`` (after ``deploy/docker/build-images.sh``), not by pytest's
collection (the name does not start with ``test_``): it needs a Docker engine and minutes.

    python tests/deploy/compose_run.py [--compose PATH] [--keep] [--kafka-cluster]

The published file plus ``deploy/compose/local.yml`` (locally built images, host network,
127.0.0.1 ports picked free here); secrets are random per run, in a temporary env file.
With ``--kafka-cluster``, ``docker-compose.kafka-cluster.yml`` and its local layer too: three
KRaft nodes, and every topic is checked for 3 replicas, all in sync, min.insync.replicas 2.
Prints the start-up time (``up`` until all healthy) and exits non-zero on any failure, with
the containers' states and log tails.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

import httpx

from switchboard.servicekit.auth import TokenVerifier
from switchboard.simulator.channels import signed_headers

ROOT = Path(__file__).resolve().parents[2]
LOCAL = ROOT / "deploy" / "compose" / "local.yml"
CLUSTER_FILES = (
    ROOT / "docker-compose.kafka-cluster.yml",
    ROOT / "deploy" / "compose" / "local.kafka-cluster.yml",
)
SERVICES = ("intake", "routing", "escalation", "feedback")
LONG_RUNNING = ("kafka", "postgres", *SERVICES)
AUDIENCE = "switchboard"
OFFER_TIMEOUT = 90.0


def free_ports(count: int) -> list[int]:
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket()
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def environment(ports: dict[str, int]) -> dict[str, str]:
    """What an operator's .env holds (deploy/compose/env.example), random for this run,
    plus the ports local.yml reads."""
    fernet_key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    values = {
        "POSTGRES_PASSWORD": secrets.token_hex(16),
        **{f"{name.upper()}_DB_PASSWORD": secrets.token_hex(16) for name in SERVICES},
        "JWT_SECRET": secrets.token_hex(32),
        "INTAKE_ADAPTER_SECRET_KEYS": fernet_key,
        "FEEDBACK_LINK_SECRET": secrets.token_hex(32),
        # Required by the whole file (the observability profile's Grafana), unused here.
        "GRAFANA_ADMIN_PASSWORD": secrets.token_hex(16),
        "INTAKE_PUBLIC_URL": f"http://127.0.0.1:{ports['intake']}",
        "ROUTING_PUBLIC_URL": f"http://127.0.0.1:{ports['routing']}",
        "CONSOLE_PUBLIC_URL": f"http://127.0.0.1:{ports['escalation']}",
        "FEEDBACK_PUBLIC_BASE_URL": f"http://127.0.0.1:{ports['feedback']}",
    }
    values |= {f"LOCAL_{name.upper()}_PORT": str(port) for name, port in ports.items()}
    return values


class Compose:
    def __init__(
        self, binary: str, project: str, env_file: Path, *, kafka_cluster: bool = False
    ) -> None:
        files = [ROOT / "docker-compose.yml", LOCAL]
        if kafka_cluster:
            files = [files[0], CLUSTER_FILES[0], LOCAL, CLUSTER_FILES[1]]
        self.base = [binary, "--project-name", project]
        for path in files:
            self.base += ["--file", str(path)]
        self.base += ["--env-file", str(env_file)]

    def __call__(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [*self.base, *args], cwd=ROOT, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise RuntimeError(f"compose {' '.join(args)} failed:\n{result.stdout}{result.stderr}")
        return result

    def report(self) -> str:
        states = self(
            "ps", "--all", "--format", "{{.Service}}: {{.State}} {{.Status}}", check=False
        )
        logs = self("logs", "--no-color", "--tail", "25", check=False)
        return f"{states.stdout}{states.stderr}\n{logs.stdout}{logs.stderr}"


_LIST_PACKAGES = (
    "import importlib.metadata as m; "
    "print(' '.join(sorted(d.metadata['Name'].lower() for d in m.distributions())))"
)


def image_problems() -> list[str]:
    """Each service image holds its own package, contracts and servicekit, no other
    service's (lingua, the language detector, only in intake), and runs as a non-root user."""
    problems = []
    for service in SERVICES:
        image = f"switchboard-{service}:0.1.0"
        user = subprocess.run(
            ["docker", "image", "inspect", "--format", "{{.Config.User}}", image],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        if user in ("", "root", "0"):
            problems.append(f"{image} runs as root")
        listed = subprocess.run(
            ["docker", "run", "--rm", "--network", "none", image, "python", "-c", _LIST_PACKAGES],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        ours = {name for name in listed if name.startswith("switchboard-")}
        want = {"switchboard-contracts", "switchboard-servicekit", f"switchboard-{service}"}
        if ours != want:
            problems.append(f"{image} holds {sorted(ours)}, not {sorted(want)}")
        if ("lingua-language-detector" in listed) != (service == "intake"):
            problems.append(f"{image}: lingua {'missing' if service == 'intake' else 'present'}")
    return problems


def contact_reaches_an_agent(ports: dict[str, int], jwt_secret: str) -> float:
    """A chat contact posted as a registered adapter signs it (Standard Webhooks) is offered
    to the one agent who fits it: seen in that agent's work list at routing. Returns the
    seconds from the post to the offer."""
    tokens = TokenVerifier(jwt_secret, AUDIENCE)

    def auth(subject: str, role: str) -> dict[str, str]:
        token = tokens.issue(subject=subject, role=role, regions=(), ttl=timedelta(minutes=10))
        return {"Authorization": f"Bearer {token}"}

    run = uuid.uuid4().hex[:8]
    region, agent = f"compose-{run}", f"agent-{run}"
    intake = f"http://127.0.0.1:{ports['intake']}"
    routing = f"http://127.0.0.1:{ports['routing']}"
    admin = auth("compose-admin", "admin")
    with httpx.Client(timeout=30) as http:
        profile = {"region": region, "languages": ["en"], "skills": {"support": 8}}
        hired = http.put(f"{routing}/v1/agents/{agent}", json=profile, headers=admin)
        assert hired.status_code == 200, hired.text
        presence = http.put(
            f"{routing}/v1/agents/{agent}/presence",
            json={"presence": "available"},
            headers=auth(agent, "agent"),
        )
        assert presence.status_code == 200, presence.text
        adapter_id = f"chat-{run}"
        registered = http.post(
            f"{intake}/v1/admin/adapters",
            json={"id": adapter_id, "channel": "chat", "region": region},
            headers=admin,
        )
        assert registered.status_code == 201, registered.text
        body = json.dumps(
            {
                "session_id": f"session-{run}",
                "message_id": "1",
                "visitor": {"id": f"visitor-{run}"},
                "message": "Hello, I would like to change the delivery address of my order.",
            }
        ).encode()
        posted_at = time.monotonic()
        posted = http.post(
            f"{intake}/v1/adapters/{adapter_id}/contacts/chat",
            content=body,
            headers=signed_headers(registered.json()["secret"], body),
        )
        assert posted.status_code == 202, posted.text
        case_id = str(posted.json()["case_id"])
        unsigned = http.post(
            f"{intake}/v1/adapters/{adapter_id}/contacts/chat",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert unsigned.status_code in (400, 401, 403), f"unsigned: {unsigned.status_code}"
        work: list[dict[str, object]] = []
        while time.monotonic() - posted_at < OFFER_TIMEOUT:
            answer = http.get(f"{routing}/v1/agents/{agent}/work", headers=auth(agent, "agent"))
            assert answer.status_code == 200, answer.text
            work = answer.json()
            if any(str(case["case_id"]) == case_id for case in work):
                return time.monotonic() - posted_at
            time.sleep(0.25)
    raise AssertionError(f"case {case_id} never reached {agent} in {OFFER_TIMEOUT:.0f} s: {work}")


def replication_problems(compose: Compose, bootstrap: str) -> list[str]:
    """Every switchboard topic on the three-node cluster: 3 replicas, 3 in sync, and
    min.insync.replicas 2 (the cluster default the file sets)."""
    described = compose(
        "exec",
        "-T",
        "kafka",
        "/opt/kafka/bin/kafka-topics.sh",
        "--bootstrap-server",
        bootstrap,
        "--describe",
        "--topic",
        "switchboard\\..*",
    ).stdout
    problems, topics = [], 0
    for line in described.splitlines():
        fields = dict(part.split(": ", 1) for part in line.strip().split("\t") if ": " in part)
        if "Partition" in fields:
            replicas = fields["Replicas"].split(",")
            in_sync = fields["Isr"].split(",")
            if len(replicas) != 3 or len(in_sync) != 3:
                problems.append(line.strip())
        elif "PartitionCount" in fields:
            topics += 1
            if "min.insync.replicas=2" not in fields.get("Configs", ""):
                problems.append(f"{fields['Topic']}: {fields.get('Configs', '')}")
    if topics < 12:
        problems.append(f"only {topics} switchboard topics:\n{described}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compose", default=str(ROOT / ".tools" / "bin" / "docker-compose"))
    parser.add_argument("--project", default=f"switchboard-check-{os.getpid()}")
    parser.add_argument("--keep", action="store_true", help="leave the deployment running")
    parser.add_argument(
        "--kafka-cluster", action="store_true", help="three Kafka nodes (RF 3), not one"
    )
    args = parser.parse_args(argv)

    problems = image_problems()
    if problems:
        print("compose: images wrong:\n  " + "\n  ".join(problems))
        return 1
    print("compose: each service image holds only its own packages and runs as non-root")

    names = ["intake", "routing", "escalation", "feedback", "kafka", "kafka_controller", "postgres"]
    if args.kafka_cluster:
        names += ["kafka_2", "kafka_2_controller", "kafka_3", "kafka_3_controller"]
    ports = dict(zip(names, free_ports(len(names)), strict=True))
    values = environment(ports)
    with tempfile.TemporaryDirectory() as scratch:
        env_file = Path(scratch) / ".env"
        env_file.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
        env_file.chmod(0o600)
        compose = Compose(args.compose, args.project, env_file, kafka_cluster=args.kafka_cluster)
        long_running = (*LONG_RUNNING, "kafka-2", "kafka-3") if args.kafka_cluster else LONG_RUNNING
        compose("config", "--quiet")
        try:
            began = time.monotonic()
            up = compose(
                "up", "--detach", "--wait", "--wait-timeout", "400", "--no-build", check=False
            )
            startup = time.monotonic() - began
            if up.returncode != 0:
                print(f"compose: up failed after {startup:.1f} s\n{up.stdout}{up.stderr}")
                print(compose.report())
                return 1
            states = compose("ps", "--format", "json").stdout
            rows = [json.loads(line) for line in states.splitlines() if line.strip()]
            rows = rows[0] if len(rows) == 1 and isinstance(rows[0], list) else rows
            health = {row["Service"]: row.get("Health", "") for row in rows}
            unhealthy = {
                name: health.get(name) for name in long_running if health.get(name) != "healthy"
            }
            if unhealthy:
                print(f"compose: not healthy after up --wait: {unhealthy}\n{compose.report()}")
                return 1
            print(f"compose: start-up (up until all {len(long_running)} healthy): {startup:.1f} s")
            if args.kafka_cluster:
                problems = replication_problems(compose, f"127.0.0.1:{ports['kafka']}")
                if problems:
                    print("compose: replication wrong:\n  " + "\n  ".join(problems))
                    return 1
                print("compose: every switchboard topic has 3 replicas in sync, min ISR 2")
            try:
                offered = contact_reaches_an_agent(ports, values["JWT_SECRET"])
            except (AssertionError, httpx.HTTPError) as error:
                print(f"compose: the contact did not reach an agent: {error}\n{compose.report()}")
                return 1
            print(
                "compose: a signed chat contact posted to intake was offered to the agent "
                f"in {offered:.1f} s"
            )
            return 0
        finally:
            if not args.keep:
                began = time.monotonic()
                compose("down", "--volumes", "--timeout", "20", check=False)
                print(f"compose: down -v in {time.monotonic() - began:.1f} s")


if __name__ == "__main__":
    sys.exit(main())
