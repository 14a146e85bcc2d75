"""What a chaos run does to the platform: kill -9 one or two of its processes, leave them
down a while, start them again — and how long the platform took to serve again."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from switchboard.launcher.processes import SERVICES

BROKER = "broker"
"""The single broker, or with a cluster the node that leads the metadata quorum (the
active controller)."""
POSTGRES = "postgres"
INFRASTRUCTURE = (BROKER, POSTGRES)


def kafka_node(node: int) -> str:
    """A target naming one node of a Kafka cluster."""
    return f"kafka-{node}"


@dataclass(frozen=True)
class Fault:
    targets: tuple[str, ...]
    """Killed together (kill -9), restarted together: services, ``broker``, ``postgres``,
    ``kafka-<n>``."""
    down_seconds: float

    @property
    def name(self) -> str:
        return " + ".join(self.targets)


@dataclass
class Outcome:
    """What one fault did, as measured (``time.monotonic()`` seconds)."""

    fault: Fault
    killed_at: float
    restarted_at: float = 0.0
    """When every target was started again and (broker, database) serving."""
    ready_at: float | None = None
    """When every service answered ``/readyz`` with 200 again."""
    routed_at: float | None = None
    """When a contact posted after the restart was offered to an agent."""
    killed: list[str] = field(default_factory=list)
    """What was killed, by process (e.g. which routing replica, which Kafka node)."""

    @property
    def downtime(self) -> float:
        return self.restarted_at - self.killed_at

    @property
    def recovery(self) -> float | None:
        """From the restart until a fresh contact was offered (None: it never was)."""
        return None if self.routed_at is None else self.routed_at - self.restarted_at

    @property
    def routed_once_ready(self) -> float | None:
        """From every service ready again until the fresh contact was offered."""
        if self.routed_at is None or self.ready_at is None:
            return None
        return self.routed_at - self.ready_at

    @property
    def ready_after(self) -> float | None:
        return None if self.ready_at is None else self.ready_at - self.restarted_at


def short_schedule(down_seconds: float = 5.0, kafka_nodes: int = 1) -> list[Fault]:
    """One after another each service, the broker and PostgreSQL; then two at once
    (routing and the broker)."""
    singles = [Fault((name,), down_seconds) for name in SERVICES]
    return [
        *singles,
        Fault((BROKER,), down_seconds * 1.5),
        Fault((POSTGRES,), down_seconds),
        Fault(("routing", BROKER), down_seconds * 1.5),
    ]


def random_fault(
    rng: random.Random,
    *,
    kafka_nodes: int = 1,
    shortest: float = 2.0,
    longest: float = 25.0,
    pair_share: float = 0.3,
) -> Fault:
    """A fault at random: one process, or (``pair_share`` of the time) two at once."""
    targets: Sequence[str] = (*SERVICES, BROKER, POSTGRES)
    if kafka_nodes > 1:
        targets = (*targets, *(kafka_node(n) for n in range(1, kafka_nodes + 1)))
    count = 2 if rng.random() < pair_share else 1
    chosen = rng.sample(list(targets), count)
    if kafka_nodes > 1 and BROKER in chosen and any(t.startswith("kafka-") for t in chosen):
        chosen = [t for t in chosen if not t.startswith("kafka-")]  # two nodes: no quorum
    return Fault(tuple(chosen), round(rng.uniform(shortest, longest), 1))
