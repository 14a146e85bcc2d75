"""What the engine proposes, with the reasons a person can read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

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

    def explanation(self) -> dict[str, Any]:
        return {
            "trigger": self.trigger.value,
            "policy": self.policy,
            "step": self.step,
            "requirement": self.requirement,
            "matched": [term for term, held in self.matched if held],
            "runner_up": {
                "kind": self.runner_up.kind,
                "id": self.runner_up.id,
                "reason": self.runner_up.reason,
            },
            "passed_over": [
                {"agent_id": agent_id, "failed": list(failed)}
                for agent_id, failed in self.passed_over
            ],
        }


@dataclass(slots=True)
class Outcome:
    """Everything one engine operation changed, for the adapters to persist and publish."""

    decisions: list[Decision] = field(default_factory=list)
    requeued: list[str] = field(default_factory=list)
    set_away: list[str] = field(default_factory=list)

    def extend(self, other: Outcome) -> None:
        self.decisions.extend(other.decisions)
        self.requeued.extend(other.requeued)
        self.set_away.extend(other.set_away)
