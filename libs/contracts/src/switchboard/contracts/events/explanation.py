"""Why routing made a decision: attached to offers and assignments."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from switchboard.contracts.events.common import Id, Title, Value

Expression = Annotated[str, StringConstraints(max_length=1000)]
Term = Annotated[str, StringConstraints(max_length=200)]
"""One comparison of a requirement, e.g. ``billing >= 5`` or ``language == "da"``."""


class DecisionTrigger(StrEnum):
    CASE_ARRIVED = "case_arrived"
    AGENT_FREED = "agent_freed"


class CandidateKind(StrEnum):
    AGENT = "agent"
    CASE = "case"


class WonBy(StrEnum):
    NONE = "none"
    """There was no other qualified candidate."""
    PRIORITY = "priority"
    AGE = "age"
    IDLE = "idle"
    PREFERRED_AGENT = "preferred_agent"


class RunnerUp(Value):
    """The next best candidate (an agent for a new case, a case for a freed agent)."""

    kind: CandidateKind
    id: Id | None = None
    won_by: WonBy
    reason: Title
    """Readable, e.g. ``idle since 09:02, agent-7 only since 09:10``."""


class PassedOver(Value):
    """An available agent who did not qualify, and the terms they failed."""

    agent_id: Id
    failed: tuple[Term, ...] = Field(default=(), max_length=50)


class Explanation(Value):
    """The decision in a reader's terms: which step, what matched, why this one."""

    trigger: DecisionTrigger
    policy_id: Id
    step_index: Annotated[int, Field(ge=0)]
    step_name: Title | None = None
    requirement: Expression
    matched: tuple[Term, ...] = Field(default=(), max_length=50)
    """The requirement's terms that the chosen agent met."""
    runner_up: RunnerUp
    passed_over: tuple[PassedOver, ...] = Field(default=(), max_length=20)
