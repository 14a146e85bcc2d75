"""The reasons attached to a decision: terms met or failed, and why the runner-up lost."""

from __future__ import annotations

from switchboard.routing.domain.decisions import RunnerUp
from switchboard.routing.domain.model import Agent, WorkItem
from switchboard.routing.domain.policy import Policy
from switchboard.routing.domain.pools import Candidate, WaitingClass


def terms_met(
    policy: Policy, item: WorkItem, agent: Agent, *, preferred: bool
) -> tuple[str, tuple[tuple[str, bool], ...]]:
    """The requirement in force and, for each of its comparisons, whether the agent met it."""
    if preferred:
        requirement = f'agent == "{item.preferred_agent}" (preferred agent)'
        return requirement, ((requirement, True),)
    step = policy.steps[item.step].requirement
    return step.source, step.explain(agent, item)


def terms_failed(policy: Policy, item: WorkItem, agent: Agent) -> tuple[str, ...]:
    if item.preferred_agent is not None and item.preferred_agent != agent.id:
        return (f"not the preferred agent {item.preferred_agent}",)
    requirement = policy.steps[item.step].requirement
    return tuple(term for term, held in requirement.explain(agent, item) if not held)


def runner_up_after(
    best: Candidate, best_class: WaitingClass, second: Candidate | None, agent_id: str
) -> RunnerUp:
    return case_runner_up(best, better(best_class.head_for(agent_id), second))


def better(one: Candidate | None, other: Candidate | None) -> Candidate | None:
    if one is None or (other is not None and other[0] < one[0]):
        return other
    return one


def case_runner_up(best: Candidate, second: Candidate | None) -> RunnerUp:
    if second is None:
        return RunnerUp("case", None, "none")
    chosen, other = best[1], second[1]
    if chosen.priority != other.priority:
        return RunnerUp("case", other.case_id, "priority", chosen.priority, other.priority)
    return RunnerUp("case", other.case_id, "age", chosen.enqueued_at, other.enqueued_at)
