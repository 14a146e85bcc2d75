"""Events on the cases topic, written by intake and keyed by case id."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import (
    Actor,
    Channel,
    Confidence,
    Excerpt,
    ExternalId,
    Id,
    LanguageTag,
    Note,
    Priority,
    Region,
    Sealed,
    Slug,
    Title,
)
from switchboard.contracts.topics import CASES, Topic


class CaseEvent(Event):
    topic: ClassVar[Topic] = CASES
    key_field: ClassVar[str] = "case_id"

    case_id: Id
    customer_id: Id
    region: Region
    channel: Channel


class CaseOpened(CaseEvent):
    """A first contact from a customer opened a new case."""

    event_type: ClassVar[str] = "switchboard.case.opened"

    opened_at: AwareDatetime
    first_contact_id: Id
    language: LanguageTag
    language_confidence: Confidence
    priority: Priority
    subject: Title | None = None
    """The e-mail subject, or the first line of the first message."""
    summary: Excerpt | None = None
    customer_tier: Slug | None = None
    vip: bool = False
    department: Slug | None = None
    thread_ref: ExternalId | None = None
    """The channel's own conversation reference (mail thread, chat session, call id)."""
    sealed: Sealed | None = None
    """``subject``, ``summary`` and ``thread_ref``, sealed (then left empty here)."""


class ContactOutcome(StrEnum):
    OPENED = "opened"
    JOINED = "joined"
    REOPENED = "reopened"


class Direction(StrEnum):
    INBOUND = "inbound"
    OUTBOUND = "outbound"


class ContactReceived(CaseEvent):
    """A contact (call, e-mail, chat or social message) arrived and joined a case."""

    event_type: ClassVar[str] = "switchboard.contact.received"

    contact_id: Id
    received_at: AwareDatetime
    direction: Direction = Direction.INBOUND
    outcome: ContactOutcome
    """Whether this contact opened its case, joined an open one or reopened a resolved one."""
    language: LanguageTag
    language_confidence: Confidence
    text: Excerpt = ""
    text_truncated: bool = False
    provider_message_id: ExternalId | None = None
    thread_ref: ExternalId | None = None
    sealed: Sealed | None = None
    """``text``, ``provider_message_id`` and ``thread_ref``, sealed (then left empty here)."""


class ReopenReason(StrEnum):
    CUSTOMER_REPLY = "customer_reply"
    REPEAT_CONTACT = "repeat_contact"
    MANUAL = "manual"


class CaseReopened(CaseEvent):
    """A contact or a person reopened a resolved case."""

    event_type: ClassVar[str] = "switchboard.case.reopened"

    reopened_at: AwareDatetime
    reason: ReopenReason
    contact_id: Id | None = None
    previous_resolved_at: AwareDatetime
    priority: Priority
    language: LanguageTag
    note: Note | None = None
    sealed: Sealed | None = None
    """``note``, sealed (then left empty here)."""


class ReplyPosted(CaseEvent):
    """An agent's reply to the customer, recorded by intake as an outbound message of the
    case and on its way through the case's channel adapter. Routing counts it as a
    response (the first one once, for the first-response SLA)."""

    event_type: ClassVar[str] = "switchboard.reply.posted"

    reply_id: Id
    agent_id: Id
    posted_at: AwareDatetime
    adapter_id: Id
    """The channel adapter it is sent through."""
    subject: Title | None = None
    text: Excerpt = ""
    text_truncated: bool = False
    sealed: Sealed | None = None
    """``subject`` and ``text``, sealed (then left empty here)."""


class DeliveryState(StrEnum):
    ACCEPTED = "accepted"
    """The channel adapter took it (answered 2xx to the signed request)."""
    SENT = "sent"
    DELIVERED = "delivered"
    READ = "read"
    FAILED = "failed"
    """The adapter could not deliver it, or never took it within its retries."""


class ReplyDeliveryChanged(CaseEvent):
    """How far a reply got: taken by the adapter, then as the adapter reports it (sent,
    delivered, read), or failed with the reason."""

    event_type: ClassVar[str] = "switchboard.reply.delivery-changed"

    reply_id: Id
    agent_id: Id
    state: DeliveryState
    changed_at: AwareDatetime
    reason: Note | None = None


class SurveyDeliveryChanged(CaseEvent):
    """How far a survey invitation got on its way to the customer (``SurveyRequested``'s
    survey): as a reply's delivery moves, or ``failed`` with the reason — also when intake
    never sends it (the customer withdrew survey consent, the channel takes no message).
    Feedback counts a failed one as undelivered."""

    event_type: ClassVar[str] = "switchboard.survey.delivery-changed"

    survey_id: Id
    state: DeliveryState
    changed_at: AwareDatetime
    reason: Note | None = None


class CustomerMerged(Event):
    """Two records were one customer: the merged one's identities, cases and history now
    belong to the survivor. Keyed by the survivor."""

    topic: ClassVar[Topic] = CASES
    key_field: ClassVar[str] = "survivor_id"
    event_type: ClassVar[str] = "switchboard.customer.merged"

    survivor_id: Id
    merged_id: Id
    merged_at: AwareDatetime
    by: Actor
    case_ids: tuple[Id, ...] = Field(default=(), max_length=10_000)
    """The merged customer's cases, now the survivor's."""


EVENTS: tuple[type[Event], ...] = (
    CaseOpened,
    ContactReceived,
    CaseReopened,
    ReplyPosted,
    ReplyDeliveryChanged,
    SurveyDeliveryChanged,
    CustomerMerged,
)
