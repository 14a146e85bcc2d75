"""Events on the agent-status topic, written by routing and keyed by agent id."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Actor, Channel, Id, Region, Slug, Title, Value
from switchboard.contracts.topics import AGENT_STATUS, Topic

Count = Annotated[int, Field(ge=0, le=1000)]


class Presence(StrEnum):
    AVAILABLE = "available"
    BUSY = "busy"
    AWAY = "away"
    WRAP_UP = "wrap_up"
    OFFLINE = "offline"


class ChannelLoad(Value):
    """How many cases of one channel the agent may hold, and holds now."""

    channel: Channel
    capacity: Count
    load: Count


class AgentStatusChanged(Event):
    """An agent's presence or load changed."""

    event_type: ClassVar[str] = "switchboard.agent.status-changed"
    topic: ClassVar[Topic] = AGENT_STATUS
    key_field: ClassVar[str] = "agent_id"

    agent_id: Id
    team: Slug | None = None
    region: Region
    presence: Presence
    previous_presence: Presence | None = None
    reason: Title | None = None
    by: Actor | None = None
    channels: tuple[ChannelLoad, ...] = Field(default=(), max_length=4)
    changed_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (AgentStatusChanged,)
