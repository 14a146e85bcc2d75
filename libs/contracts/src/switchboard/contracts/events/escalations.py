"""Events on the escalations topic, written by escalation.

Keyed by escalation id (its events stay in order); the CloudEvents subject is the case id.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Actor, Id, Note, Priority, Region, Sealed
from switchboard.contracts.topics import ESCALATIONS, Topic

Level = Annotated[int, Field(ge=1, le=20)]
Targets = Annotated[tuple[Actor, ...], Field(max_length=50)]


class EscalationEvent(Event):
    topic: ClassVar[Topic] = ESCALATIONS
    key_field: ClassVar[str] = "escalation_id"
    subject_field: ClassVar[str | None] = "case_id"

    escalation_id: Id
    case_id: Id
    region: Region


class RaisedBecause(StrEnum):
    """Why an escalation was raised; v2 adds reply_delivery_failed (a reply not delivered)."""

    SLA_BREACH = "sla_breach"
    SLA_WARNING = "sla_warning"
    DETRACTOR = "detractor"
    MANUAL = "manual"
    ANGRY_MESSAGE = "angry_message"
    VIP_WAITING = "vip_waiting"
    REPEAT_CONTACT = "repeat_contact"
    REPLY_DELIVERY_FAILED = "reply_delivery_failed"


class EscalationRaised(EscalationEvent):
    """A case was escalated to the first level of an escalation policy."""

    event_type: ClassVar[str] = "switchboard.escalation.raised"
    version: ClassVar[int] = 2
    """v2 adds the trigger ``reply_delivery_failed``; v1 (``escalations_v1``) is upcast."""

    trigger: RaisedBecause
    trigger_event_id: Id | None = None
    """The CloudEvents id of the event that triggered it (a breach, a detractor alert)."""
    policy_id: Id
    level: Level
    targets: Targets
    priority: Priority
    customer_id: Id | None = None
    vip: bool = False
    raised_by: Actor
    reason: Note | None = None
    sealed: Sealed | None = None
    """``reason``, sealed under the case's customer's key (then left empty here) when it
    may quote the customer: a person's words, a delivery failure, a survey comment."""
    raised_at: AwareDatetime
    ack_deadline: AwareDatetime


class EscalationAcknowledged(EscalationEvent):
    """A target took the escalation; it stops moving up."""

    event_type: ClassVar[str] = "switchboard.escalation.acknowledged"

    level: Level
    by: Actor
    acknowledged_at: AwareDatetime
    note: Note | None = None
    sealed: Sealed | None = None
    """``note``, sealed under the case's customer's key (then left empty here)."""


class EscalatedBecause(StrEnum):
    UNACKNOWLEDGED = "unacknowledged"
    MANUAL = "manual"


class EscalationEscalated(EscalationEvent):
    """The escalation moved to another level (or repeated the policy)."""

    event_type: ClassVar[str] = "switchboard.escalation.escalated"

    from_level: Level
    to_level: Level
    repeat: Annotated[int, Field(ge=0, le=100)] = 0
    """How many times the policy has started over from its first level."""
    reason: EscalatedBecause
    targets: Targets
    by: Actor
    escalated_at: AwareDatetime
    ack_deadline: AwareDatetime


class ResolvedBecause(StrEnum):
    CASE_RESOLVED = "case_resolved"
    MANUAL = "manual"


class EscalationResolved(EscalationEvent):
    """The escalation is closed."""

    event_type: ClassVar[str] = "switchboard.escalation.resolved"

    reason: ResolvedBecause
    by: Actor
    resolved_at: AwareDatetime
    note: Note | None = None
    sealed: Sealed | None = None
    """``note``, sealed under the case's customer's key (then left empty here)."""


EVENTS: tuple[type[Event], ...] = (
    EscalationRaised,
    EscalationAcknowledged,
    EscalationEscalated,
    EscalationResolved,
)
