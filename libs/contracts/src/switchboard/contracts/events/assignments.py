"""Events on the assignments topic, written by routing and keyed by case id.

Each carries the case's region and channel (and the agent's team once there is an agent)
so that SLA clocks and KPIs need no join with the cases topic.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar, Self

from pydantic import AwareDatetime, Field, model_validator

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import (
    Actor,
    Channel,
    Id,
    LanguageTag,
    Note,
    Priority,
    Region,
    Sealed,
    Seconds,
    Slug,
    Title,
)
from switchboard.contracts.events.explanation import Explanation
from switchboard.contracts.topics import ASSIGNMENTS, Topic


class AssignmentEvent(Event):
    topic: ClassVar[Topic] = ASSIGNMENTS
    key_field: ClassVar[str] = "case_id"

    case_id: Id
    region: Region
    channel: Channel


class AgentEvent(AssignmentEvent):
    agent_id: Id
    team: Slug | None = None


class QueueReason(StrEnum):
    NEW = "new"
    REOPENED = "reopened"
    TRANSFER = "transfer"
    OVERFLOW = "overflow"
    OFFER_DECLINED = "offer_declined"
    OFFER_EXPIRED = "offer_expired"
    AGENT_OFFLINE = "agent_offline"


class CaseQueued(AssignmentEvent):
    """The case waits in a queue for an agent who meets the current policy step."""

    event_type: ClassVar[str] = "switchboard.case.queued"

    queue_id: Id
    """The pool: a region, or region and department."""
    policy_id: Id
    step_index: int = 0
    priority: Priority
    reason: QueueReason
    language: LanguageTag
    department: Slug | None = None
    enqueued_at: AwareDatetime
    """When the case first started waiting; kept through transfers, so age is preserved."""
    queued_at: AwareDatetime


class CaseWaitEstimated(AssignmentEvent):
    """When a waiting case can expect its offer at the pool's present pace: published when
    it starts waiting and again when the expectation moves materially, never after the
    case is offered (a CaseQueued starts a new wait)."""

    event_type: ClassVar[str] = "switchboard.case.wait-estimated"

    queue_id: Id
    """The pool: a region, or region and department."""
    position: Annotated[int, Field(ge=0)]
    """Waiting cases of the same pool and channel served before this one."""
    served_per_minute: Annotated[float, Field(ge=0.0)]
    """Cases of the pool and channel whose offer an agent accepted, per minute over the
    recent window."""
    expected_offer_at: AwareDatetime | None
    """``estimated_at`` plus (position + 1) cases at that pace; None while the pool serves
    none (nobody accepted a case of it in the window): no offer is in sight."""
    estimated_at: AwareDatetime


class CaseOffered(AgentEvent):
    """An agent was offered the case and must accept before ``expires_at``."""

    event_type: ClassVar[str] = "switchboard.case.offered"

    offer_id: Id
    offered_at: AwareDatetime
    expires_at: AwareDatetime
    explanation: Explanation


class CaseAssigned(AgentEvent):
    """The agent accepted the offer; the case is theirs."""

    event_type: ClassVar[str] = "switchboard.case.assigned"

    offer_id: Id
    assigned_at: AwareDatetime
    enqueued_at: AwareDatetime
    explanation: Explanation


class OfferDeclined(AgentEvent):
    """The agent declined the offer; the case is not offered to them again."""

    event_type: ClassVar[str] = "switchboard.offer.declined"

    offer_id: Id
    declined_at: AwareDatetime
    reason: Title | None = None
    sealed: Sealed | None = None
    """``reason``, sealed under the case's customer's key (then left empty here)."""


class OfferExpired(AgentEvent):
    """The offer timed out unanswered; the case is not offered to that agent again."""

    event_type: ClassVar[str] = "switchboard.offer.expired"

    offer_id: Id
    offered_at: AwareDatetime
    expired_at: AwareDatetime


class CaseTransferred(AssignmentEvent):
    """The case moved to another queue, department or agent, keeping its age."""

    event_type: ClassVar[str] = "switchboard.case.transferred"

    from_agent_id: Id | None = None
    from_queue_id: Id | None = None
    to_agent_id: Id | None = None
    to_queue_id: Id | None = None
    to_department: Slug | None = None
    to_region: Region | None = None
    by: Actor
    reason: Note | None = None
    sealed: Sealed | None = None
    """``reason``, sealed under the case's customer's key (then left empty here)."""
    enqueued_at: AwareDatetime
    transferred_at: AwareDatetime

    @model_validator(mode="after")
    def _has_destination(self) -> Self:
        if not (self.to_agent_id or self.to_queue_id or self.to_department or self.to_region):
            raise ValueError("a transfer needs a destination agent, queue, department or region")
        return self


class AgentReplied(AgentEvent):
    """The agent sent a reply to the customer (stops first/next-response clocks)."""

    event_type: ClassVar[str] = "switchboard.agent.replied"

    message_id: Id
    replied_at: AwareDatetime
    is_first_response: bool


class CaseResolved(AgentEvent):
    """The agent resolved the case (stops the resolution clock, schedules the survey)."""

    event_type: ClassVar[str] = "switchboard.case.resolved"

    customer_id: Id
    language: LanguageTag
    opened_at: AwareDatetime
    resolved_at: AwareDatetime
    resolution_code: Slug
    first_contact_resolution: bool
    handle_seconds: Seconds
    """Time the agent spent working the case, excluding waiting on the customer."""
    note: Note | None = None
    sealed: Sealed | None = None
    """``note``, sealed under the customer's key (then left empty here)."""


EVENTS: tuple[type[Event], ...] = (
    CaseQueued,
    CaseWaitEstimated,
    CaseOffered,
    CaseAssigned,
    OfferDeclined,
    OfferExpired,
    CaseTransferred,
    AgentReplied,
    CaseResolved,
)
