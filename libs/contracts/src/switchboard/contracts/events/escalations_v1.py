"""Version 1 of ``switchboard.escalation.raised``: still read, upcast to version 2.

The class keeps the name ``EscalationRaised`` and its enum the name ``Trigger`` so that the
committed v1 schema stays exactly as published; import it as ``EscalationRaisedV1``.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import AwareDatetime

from switchboard.contracts.events.common import Actor, Id, Note, Priority
from switchboard.contracts.events.escalations import EscalationEvent, Level, Targets


class Trigger(StrEnum):
    SLA_BREACH = "sla_breach"
    SLA_WARNING = "sla_warning"
    DETRACTOR = "detractor"
    MANUAL = "manual"
    ANGRY_MESSAGE = "angry_message"
    VIP_WAITING = "vip_waiting"
    REPEAT_CONTACT = "repeat_contact"


class EscalationRaised(EscalationEvent):
    """A case was escalated to the first level of an escalation policy."""

    event_type: ClassVar[str] = "switchboard.escalation.raised"
    version: ClassVar[int] = 1

    trigger: Trigger
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
    raised_at: AwareDatetime
    ack_deadline: AwareDatetime


def raised_v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Every v1 trigger is a v2 trigger and nothing else changed: v1 data is v2 data."""
    return data


EVENTS: tuple[type[EscalationEvent], ...] = (EscalationRaised,)
