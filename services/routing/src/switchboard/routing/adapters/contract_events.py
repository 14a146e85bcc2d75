"""Contract events built from routing's rows and the index's decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from switchboard.contracts.events import AgentStatusChanged, CaseQueued
from switchboard.contracts.events.agent_status import ChannelLoad
from switchboard.contracts.events.agent_status import Presence as WirePresence
from switchboard.contracts.events.assignments import QueueReason
from switchboard.contracts.events.common import Actor, ActorKind, Channel, Priority
from switchboard.contracts.events.explanation import (
    CandidateKind,
    DecisionTrigger,
    Explanation,
    PassedOver,
    RunnerUp,
    WonBy,
)
from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.decisions import Decision

TITLE_LIMIT = 200


def explanation_of(decision: Decision) -> Explanation:
    preferred = decision.step < 0
    runner_up = decision.runner_up
    won_by = (
        WonBy.PREFERRED_AGENT if preferred and runner_up.rule == "none" else WonBy(runner_up.rule)
    )
    return Explanation(
        trigger=DecisionTrigger(decision.trigger.value),
        policy_id=decision.policy,
        step_index=max(decision.step, 0),
        step_name="preferred agent" if preferred else f"step {decision.step + 1}",
        requirement=decision.requirement[:1000],
        matched=tuple(term[:200] for term, held in decision.matched if held)[:50],
        runner_up=RunnerUp(
            kind=CandidateKind(runner_up.kind),
            id=runner_up.id,
            won_by=won_by,
            reason=runner_up.reason[:TITLE_LIMIT],
        ),
        passed_over=tuple(
            PassedOver(agent_id=agent_id, failed=tuple(term[:200] for term in failed))
            for agent_id, failed in decision.passed_over
        ),
    )


def case_queued(row: CaseRow, *, reason: QueueReason, at: datetime) -> CaseQueued:
    return CaseQueued(
        case_id=row.case_id,
        region=row.region,
        channel=Channel(row.channel),
        queue_id=row.pool,
        policy_id=row.policy,
        step_index=row.step,
        priority=Priority(row.priority),
        reason=reason,
        language=row.language,
        department=row.department,
        enqueued_at=row.enqueued_at,
        queued_at=at,
    )


def agent_fields(row: CaseRow, agent: AgentRow) -> dict[str, Any]:
    return {
        "case_id": row.case_id,
        "region": row.region,
        "channel": Channel(row.channel),
        "agent_id": agent.id,
        "team": agent.team,
    }


def agent_status(
    agent: AgentRow,
    *,
    previous: str | None,
    at: datetime,
    reason: str | None = None,
    by: Actor | None = None,
) -> AgentStatusChanged:
    return AgentStatusChanged(
        agent_id=agent.id,
        team=agent.team,
        region=agent.region,
        presence=WirePresence(agent.presence),
        previous_presence=WirePresence(previous) if previous else None,
        reason=reason[:TITLE_LIMIT] if reason else None,
        by=by,
        channels=tuple(
            ChannelLoad(
                channel=Channel(channel),
                capacity=int(limit),
                load=int(agent.load.get(channel, 0)),
            )
            for channel, limit in agent.capacity.items()
        ),
        changed_at=at,
    )


def load_changed(agent: AgentRow, *, at: datetime) -> AgentStatusChanged:
    """The agent took or gave back a slot; presence unchanged."""
    return agent_status(agent, previous=agent.presence, at=at, reason="load changed")


def agent_actor(agent_id: str) -> Actor:
    return Actor(kind=ActorKind.AGENT, id=agent_id)


SYSTEM = Actor(kind=ActorKind.SYSTEM, id="routing")
