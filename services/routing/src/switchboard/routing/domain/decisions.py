"""What the routing index proposes, with the reasons a person can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from switchboard.routing.domain.model import Channel


class Trigger(StrEnum):
    CASE_ARRIVED = "case_arrived"
    AGENT_FREED = "agent_freed"


# Not frozen: a frozen dataclass pays a setattr call per field, on the hot path.
@dataclass(slots=True)
class RunnerUp:
    """The next best candidate and why it lost: by ``rule``, comparing the two values."""

    kind: str
    id: str | None
    rule: str
    winner_value: object = None
    runner_up_value: object = None

    @property
    def reason(self) -> str:
        winner, other = _readable(self.winner_value), _readable(self.runner_up_value)
        if self.rule == "priority":
            return f"priority {winner} beats {other}"
        if self.rule == "age":
            return f"same priority, waiting since {winner}, {self.id} only since {other}"
        if self.rule == "idle":
            return f"idle since {winner}, {self.id} only since {other}"
        return (
            f"no other qualified {'agent is available' if self.kind == 'agent' else 'case waits'}"
        )


def _readable(value: object) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


@dataclass(slots=True)
class Decision:
    """One offer of a case to an agent, with its explanation."""

    case_id: str
    agent_id: str
    pool: str
    channel: Channel
    priority: int
    policy: str
    step: int
    requirement: str
    matched: tuple[tuple[str, bool], ...]
    trigger: Trigger
    runner_up: RunnerUp
    decided_at: datetime
    offer_expires_at: datetime
    passed_over: tuple[tuple[str, tuple[str, ...]], ...] = ()
