"""Agents, their capacity and presence, and the work items routing hands them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum


class Channel(StrEnum):
    PHONE = "phone"
    CHAT = "chat"
    EMAIL = "email"
    SOCIAL = "social"


class Presence(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"
    OFFLINE = "offline"


class ItemState(StrEnum):
    WAITING = "waiting"
    OFFERED = "offered"
    ASSIGNED = "assigned"
    WRAP_UP = "wrap_up"
    DONE = "done"


DEFAULT_LIMITS: Mapping[Channel, int] = {
    Channel.PHONE: 1,
    Channel.CHAT: 3,
    Channel.EMAIL: 5,
    Channel.SOCIAL: 3,
}


@dataclass(frozen=True, slots=True)
class Capacity:
    """How many items per channel an agent handles at once; blocking channels take it all."""

    limits: Mapping[Channel, int] = field(default_factory=lambda: dict(DEFAULT_LIMITS))
    blocking: frozenset[Channel] = frozenset({Channel.PHONE})

    def can_take(self, channel: Channel, load: Mapping[Channel, int]) -> bool:
        if load.get(channel, 0) >= self.limits.get(channel, 0):
            return False
        blocking = self.blocking
        if channel in blocking:
            return not any(load.values())
        return not any(map(load.get, blocking))

    def open_channels(self, load: Mapping[Channel, int]) -> list[Channel]:
        """The channels with a free slot, all at once (the hot path of routing)."""
        blocking = self.blocking
        busy = False
        for channel, count in load.items():
            if count:
                if channel in blocking:
                    return []
                busy = True
        if not busy:
            # Nothing held: every channel with a slot at all is open.
            return [channel for channel, limit in self.limits.items() if limit > 0]
        held = load.get
        return [
            channel
            for channel, limit in self.limits.items()
            if held(channel, 0) < limit and channel not in blocking
        ]

    def within(self, load: Mapping[Channel, int]) -> bool:
        """True when ``load`` respects every limit and every blocking rule."""
        busy_channels = [busy for busy, count in load.items() if count > 0]
        if any(count > self.limits.get(channel, 0) for channel, count in load.items()):
            return False
        blocked = any(busy in self.blocking for busy in busy_channels)
        return not (blocked and len(busy_channels) > 1)


@dataclass(slots=True, eq=False)
class Agent:
    id: str
    pools: frozenset[str]
    skills: dict[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    region: str = ""
    team: str = ""
    capacity: Capacity = field(default_factory=Capacity)
    presence: Presence = Presence.OFFLINE
    idle_since: datetime | None = None
    load: dict[Channel, int] = field(default_factory=dict)

    def can_take(self, channel: Channel) -> bool:
        return self.presence is Presence.AVAILABLE and self.capacity.can_take(channel, self.load)

    def open_channels(self) -> list[Channel]:
        if self.presence is not Presence.AVAILABLE:
            return []
        return self.capacity.open_channels(self.load)

    def same_record(self, other: Agent) -> bool:
        """Whether ``other`` says nothing new about this agent (a zero load counts as none)."""
        return (
            self.presence is other.presence
            and self.idle_since == other.idle_since
            and _held(self.load) == _held(other.load)
            and self.same_profile(other)
        )

    def same_profile(self, other: Agent) -> bool:
        """Whether ``other`` has this agent's pools, skills, languages, place and capacity:
        everything a requirement or a pool looks at, unlike presence, load and idle time."""
        return (
            self.pools == other.pools
            and self.skills == other.skills
            and self.languages == other.languages
            and self.region == other.region
            and self.team == other.team
            and self.capacity == other.capacity
        )


def _held(load: Mapping[Channel, int]) -> dict[Channel, int]:
    return {channel: count for channel, count in load.items() if count}


def pool_for(*, region: str, department: str | None, by_department: bool) -> str:
    """A case's pool: its region, or region and department when pools go by department."""
    if by_department and department:
        return f"{region}/{department}"
    return region


@dataclass(slots=True, eq=False)
class WorkItem:
    """A case as routing sees it; ``enqueued_at`` is its age and survives transfers.

    ``priority`` follows the wire: 1 is urgent, 4 is low; a lower number is served first.
    """

    case_id: str
    pool: str
    channel: Channel
    priority: int
    enqueued_at: datetime
    language: str = ""
    region: str = ""
    department: str = ""
    preferred_agent: str | None = None
    preferred_until: datetime | None = None
    excluded_agents: frozenset[str] = frozenset()
    policy: str = ""
    step: int = 0
    step_started_at: datetime | None = None
    state: ItemState = ItemState.WAITING
    agent_id: str | None = None
    arrival: int = 0
    filing: int = 0
    rank: int = 0  # the index's ordering key of the latest filing (see ranks.py)
