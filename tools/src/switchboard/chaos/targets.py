"""The platform's processes as a chaos run kills and restarts them: the services (a replica
of one when it runs several), the Kafka broker or one node of a cluster, PostgreSQL."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from switchboard.chaos.faults import BROKER, POSTGRES
from switchboard.launcher.local_platform import LocalPlatform
from switchboard.launcher.processes import SERVICES, ServiceProcess
from switchboard.servicekit.devinfra.kafka import KafkaBroker, KafkaCluster


class UnknownTarget(ValueError):
    """A fault names something this platform does not run."""


def replicas_of(platform: LocalPlatform, service: str) -> list[ServiceProcess]:
    """Every process of ``service`` (one, or each replica when the launcher runs several)."""
    return [process for process in platform.services.values() if process.name == service]


def active_controller(cluster: KafkaCluster) -> int:
    """The node leading the KRaft metadata quorum: the leader of the highest epoch any
    node's ``quorum-state`` file records (a file each node rewrites on every election)."""
    best: tuple[int, int] | None = None
    for node in cluster.nodes:
        state = node.data_dir / "kraft-logs" / "__cluster_metadata-0" / "quorum-state"
        try:
            data = json.loads(state.read_text())
        except (OSError, ValueError):
            continue
        epoch, leader = int(data.get("leaderEpoch", -1)), int(data.get("leaderId", -1))
        if leader > 0 and (best is None or epoch > best[0]):
            best = (epoch, leader)
    if best is None:
        raise UnknownTarget("no Kafka node records a quorum leader")
    return best[1]


class Targets:
    """Kill -9 and start again what a fault names, on a started ``LocalPlatform``."""

    def __init__(self, platform: LocalPlatform) -> None:
        self.platform = platform
        self.venv_bin = Path(sys.executable).parent
        self._killed: dict[str, list[object]] = {}

    def kill(self, target: str) -> list[str]:
        """Kill ``target`` at once (SIGKILL, no shutdown); what was killed, by name."""
        if target in SERVICES:
            processes = replicas_of(self.platform, target)
            if not processes:
                raise UnknownTarget(f"{target} does not run here")
            # With replicas, the last one: the clients' addresses (the first) stay up, so
            # a client must see nothing of it.
            process = processes[-1]
            assert process.process is not None
            process.process.kill()
            process.process.wait(10)
            self._killed[target] = [process]
            return [getattr(process, "label", process.name)]
        if target == POSTGRES:
            cluster = self.platform.cluster
            if cluster is None:
                raise UnknownTarget("this platform runs no PostgreSQL cluster of its own")
            cluster.kill()
            self._killed[target] = [cluster]
            return [POSTGRES]
        broker = self._broker(target)
        broker.kill()
        self._killed[target] = [broker]
        return [f"kafka node {broker.node_id}" if target != BROKER else BROKER]

    def restart(self, target: str) -> None:
        """Start again what ``kill(target)`` killed; the broker and PostgreSQL are serving
        when this returns, a service process has been started (readiness is measured)."""
        for thing in self._killed.pop(target, []):
            if isinstance(thing, ServiceProcess):
                thing.start(self.venv_bin)
            else:
                thing.start()  # type: ignore[attr-defined]

    def _broker(self, target: str) -> KafkaBroker:
        broker = self.platform.broker
        if broker is None:
            raise UnknownTarget("this platform runs no Kafka broker of its own")
        if isinstance(broker, KafkaBroker):
            if target != BROKER:
                raise UnknownTarget(f"{target}: a single broker runs here")
            return broker
        if target == BROKER:
            return broker.node(active_controller(broker))
        if target.startswith("kafka-"):
            return broker.node(int(target.removeprefix("kafka-")))
        raise UnknownTarget(target)

    def died_on_their_own(self) -> list[str]:
        """Service processes that died on their own (not killed by us)."""
        killed = {id(thing) for things in self._killed.values() for thing in things}
        return [
            getattr(p, "label", p.name)
            for p in self.platform.services.values()
            if not p.alive() and id(p) not in killed
        ]
