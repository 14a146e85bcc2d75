"""A recorded day, as compact as replaying it needs: the cases' visits to the queues, the
agents' profiles and presence over the day, and how each agent answered each offer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from switchboard.routing.domain.model import Channel, Presence


class Answer(StrEnum):
    ACCEPT = "accept"
    DECLINE = "decline"
    EXPIRE = "expire"


@dataclass(frozen=True, slots=True)
class Response:
    """How an agent answered an offer of a visit, and after how many seconds."""

    answer: Answer
    after_seconds: float


@dataclass(frozen=True, slots=True)
class Visit:
    """One stay of a case in a queue (a new case, a reopened or transferred one), with the
    routing facts the policies read and what happened to it that day."""

    key: str
    case_id: str
    at: datetime
    """When it was queued (the clock of its wait)."""
    enqueued_at: datetime
    """Its age: kept through transfers, ranks it in its queue."""
    pool: str
    channel: Channel
    priority: int
    language: str
    region: str
    department: str
    policy: str
    """The policy routing chose for it that day."""
    excluded: frozenset[str] = frozenset()
    """Agents the case was never to be offered to again when this visit began (they
    declined it, let it expire or transferred it away)."""
    first_offer_at: datetime | None = None
    responses: Mapping[str, Response] = field(default_factory=dict)
    """Per agent offered it: accepted, declined or let expire, and how fast."""
    hold_seconds: float | None = None
    """From the accepting agent's accept to the slot's release (wrap-up done, or a
    transfer); None when it was never accepted or never released within the day."""

    @property
    def recorded_wait(self) -> float | None:
        if self.first_offer_at is None:
            return None
        return (self.first_offer_at - self.at).total_seconds()


@dataclass(frozen=True, slots=True)
class AgentDay:
    """An agent as registered (pools, skills, languages, capacity) and its presence
    through the day."""

    id: str
    pools: frozenset[str]
    region: str
    team: str = ""
    skills: Mapping[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    capacity: Mapping[Channel, int] = field(default_factory=dict)
    presence: tuple[tuple[datetime, Presence], ...] = ()
    """Its own presence changes (not those routing made), in time order."""


@dataclass(frozen=True, slots=True)
class RecordedDay:
    start: datetime
    end: datetime
    visits: tuple[Visit, ...]
    agents: tuple[AgentDay, ...]
    dispatch_seconds: tuple[float, ...] = ()
    """How long routing took that day from an agent freed (a slot given back, back to
    available) to the first offer that caused: each such delay. In the replay the index
    learns of an agent's change after one of them, drawn at random (seeded)."""

    @property
    def seconds(self) -> float:
        return (self.end - self.start).total_seconds()
