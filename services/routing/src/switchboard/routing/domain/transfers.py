"""Where a transferred case goes: to a named agent, to a queue (a pool), or to another
region or department. It always waits again, keeping its age.

A named agent must be signed in (not offline) and take the case's channel; when they are
busy, away or at capacity the case waits for them alone, as it would for a customer's last
agent, then any agent of its pool may take it. A queue is a pool some agent serves; the case
moves to its agents' region when they share one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from switchboard.routing.domain.errors import RoutingError
from switchboard.routing.domain.model import Agent, Presence, WorkItem, pool_for


class TransferRefused(RoutingError):
    """The named agent cannot take the case: the sender keeps it."""


class UnknownQueue(RoutingError):
    def __init__(self, queue: str) -> None:
        super().__init__(f"unknown queue {queue!r}: no agent serves it")


@dataclass(frozen=True, slots=True)
class ToAgent:
    agent: Agent


@dataclass(frozen=True, slots=True)
class ToQueue:
    queue: str
    region: str | None = None
    """The region of the agents who serve the queue, when they all share one: the case
    moves there (its SLA calendar, its coordinators); else it keeps its own."""


@dataclass(frozen=True, slots=True)
class ToPlace:
    region: str | None = None
    department: str | None = None


Target = ToAgent | ToQueue | ToPlace


@dataclass(frozen=True, slots=True)
class Destination:
    """The case's place after the transfer, and the agent it waits for first, if any."""

    region: str
    department: str | None
    pool: str
    preferred_agent: str | None = None
    preferred_until: datetime | None = None


def destination(
    target: Target,
    *,
    item: WorkItem,
    sender: str,
    by_department: bool,
    wait_for_agent: timedelta,
    now: datetime,
) -> Destination:
    """Where ``item``, held by ``sender``, goes; ``TransferRefused`` when it cannot."""
    department = item.department or None
    match target:
        case ToAgent(agent):
            _check_receiver(agent, item=item, sender=sender)
            pool = _pool_of(agent, item=item, by_department=by_department)
            return Destination(
                region=item.region if pool == item.pool else agent.region,
                department=department,
                pool=pool,
                preferred_agent=agent.id,
                preferred_until=now + wait_for_agent,
            )
        case ToQueue(queue, region):
            return Destination(region=region or item.region, department=department, pool=queue)
        case ToPlace(region, new_department):
            region = region or item.region
            department = new_department or department
            pool = pool_for(region=region, department=department, by_department=by_department)
            return Destination(region=region, department=department, pool=pool)


def _check_receiver(agent: Agent, *, item: WorkItem, sender: str) -> None:
    if agent.id == sender:
        raise TransferRefused("the case is already yours")
    if agent.presence is Presence.OFFLINE:
        raise TransferRefused(f"agent {agent.id!r} is offline: transfer to a queue instead")
    if agent.capacity.limits.get(item.channel, 0) < 1:
        raise TransferRefused(f"agent {agent.id!r} takes no {item.channel.value} cases")


def _pool_of(agent: Agent, *, item: WorkItem, by_department: bool) -> str:
    """The case's pool when the agent serves it, else the agent's own region's, else the
    first of the agent's pools by name: where the case waits when the agent's turn ends."""
    if item.pool in agent.pools:
        return item.pool
    home = pool_for(region=agent.region, department=item.department, by_department=by_department)
    return home if home in agent.pools else min(agent.pools)
