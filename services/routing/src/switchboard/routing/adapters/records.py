"""The records the routing index holds, read from routing's rows, and the load of an
agent's row as a transition changes it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.routing.adapters.orm import AgentRow, CaseRow
from switchboard.routing.domain.model import Agent, Capacity, Channel, Presence, WorkItem


def channel_counts(raw: Mapping[str, Any]) -> dict[Channel, int]:
    return {Channel(name): int(count) for name, count in raw.items()}


def capacity_of(row: AgentRow) -> Capacity:
    return Capacity(limits=channel_counts(row.capacity))


def agent_from_row(row: AgentRow) -> Agent:
    return Agent(
        id=row.id,
        pools=frozenset(row.pools),
        skills={name: int(level) for name, level in row.skills.items()},
        languages=frozenset(row.languages),
        region=row.region,
        team=row.team or "",
        capacity=capacity_of(row),
        presence=Presence(row.presence),
        idle_since=row.idle_since,
        load=channel_counts(row.load),
    )


def item_from_row(row: CaseRow) -> WorkItem:
    return WorkItem(
        case_id=row.case_id,
        pool=row.pool,
        channel=Channel(row.channel),
        priority=row.priority,
        enqueued_at=row.enqueued_at,
        language=row.language,
        region=row.region,
        department=row.department or "",
        preferred_agent=row.preferred_agent,
        preferred_until=row.preferred_until,
        excluded_agents=frozenset(row.excluded_agents),
        policy=row.policy,
        step=row.step,
        step_started_at=row.step_started_at,
    )


def add_load(row: AgentRow, channel: str, delta: int) -> None:
    """Assign a new dict so the JSON column is seen as changed."""
    load = dict(row.load)
    load[channel] = max(0, int(load.get(channel, 0)) + delta)
    row.load = load
