"""Why routing chose an agent: attached to offers and assignments."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field, StringConstraints

from switchboard.contracts.events.common import Id, Seconds, Title, Value

Expression = Annotated[str, StringConstraints(max_length=1000)]


class MatchedRequirement(Value):
    """One clause of the step's requirement and the agent's value that met it."""

    attribute: Title
    """E.g. ``billing``, ``language``, ``region``."""
    required: Title
    """E.g. ``>= 5``, ``== "da"``."""
    actual: Title


class ChosenBecause(StrEnum):
    ONLY_CANDIDATE = "only_candidate"
    PREFERRED_AGENT = "preferred_agent"
    LONGEST_IDLE = "longest_idle"


class Explanation(Value):
    """The routing decision in a reader's terms: which step, what matched, why this agent."""

    policy_id: Id
    step_index: Annotated[int, Field(ge=0)]
    step_name: Title | None = None
    requirement: Expression
    matched: tuple[MatchedRequirement, ...] = Field(default=(), max_length=50)
    candidates: Annotated[int, Field(ge=0)]
    """How many qualified agents had free capacity."""
    chosen_because: ChosenBecause
    idle_seconds: Seconds | None = None
    runner_up_agent_id: Id | None = None
    runner_up_idle_seconds: Seconds | None = None
