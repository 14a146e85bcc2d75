"""Events on the sla topic, written by escalation and keyed by case id.

Elapsed time counts business seconds of the case's region calendar, excluding time spent
waiting on the customer.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Channel, Id, Priority, Region, Seconds, Slug
from switchboard.contracts.topics import SLA, Topic


class SlaMetric(StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class SlaEvent(Event):
    topic: ClassVar[Topic] = SLA
    key_field: ClassVar[str] = "case_id"

    clock_id: Id
    case_id: Id
    metric: SlaMetric
    policy_id: Id
    target_seconds: Annotated[float, Field(gt=0)]
    elapsed_seconds: Seconds
    due_at: AwareDatetime
    region: Region
    channel: Channel
    priority: Priority
    agent_id: Id | None = None
    team: Slug | None = None


class SlaWarned(SlaEvent):
    """A clock passed a warning fraction of its target (e.g. 0.5, 0.75)."""

    event_type: ClassVar[str] = "switchboard.sla.warned"

    fraction: Annotated[float, Field(gt=0, lt=1)]
    warned_at: AwareDatetime


class SlaBreached(SlaEvent):
    """A clock reached its target without being stopped."""

    event_type: ClassVar[str] = "switchboard.sla.breached"

    breached_at: AwareDatetime


class SlaAchieved(SlaEvent):
    """A clock was stopped (reply, resolution) before its target."""

    event_type: ClassVar[str] = "switchboard.sla.achieved"

    achieved_at: AwareDatetime


class SlaBreachPredicted(SlaEvent):
    """A waiting case will breach its first-response target at its pool's present pace:
    routing expects its offer later than ``margin_seconds`` before ``due_at`` (the breach),
    or not at all. At most one per clock, usually long before the clock's warnings."""

    event_type: ClassVar[str] = "switchboard.sla.breach-predicted"

    position: Annotated[int, Field(ge=0)]
    """Waiting cases of its pool and channel served before it, as routing last said."""
    served_per_minute: Seconds
    """The pool and channel's recent pace (accepted offers per minute)."""
    expected_offer_at: AwareDatetime | None
    """None: the pool serves no one at present."""
    margin_seconds: Seconds
    """Left for the agent to accept and reply: an offer expected later than ``due_at``
    minus this is too late."""
    predicted_at: AwareDatetime


class SlaRiskCleared(SlaEvent):
    """A case predicted to breach was offered to an agent: it is no longer at risk of
    waiting too long (its clock runs on until the first response)."""

    event_type: ClassVar[str] = "switchboard.sla.risk-cleared"

    cleared_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    SlaWarned,
    SlaBreached,
    SlaAchieved,
    SlaBreachPredicted,
    SlaRiskCleared,
)
