"""Erasing a customer (GDPR art. 17) across the services.

Intake, which owns customers, takes the request and announces it on the cases topic
(``CustomerErasureRequested``, keyed by the customer); every service erases what it holds
of that customer and confirms on a topic it writes (one writer per topic, so one
confirmation type per service, all with the same fields). Intake collects the
confirmations into the erasure's status.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Actor, Id
from switchboard.contracts.topics import ASSIGNMENTS, CASES, ESCALATIONS, SURVEYS, Topic

Count = Annotated[int, Field(ge=0)]


class CustomerErasureRequested(Event):
    """An admin asked to erase a customer: every service erases what it holds of them."""

    topic: ClassVar[Topic] = CASES
    key_field: ClassVar[str] = "customer_id"
    event_type: ClassVar[str] = "switchboard.customer.erasure-requested"

    erasure_id: Id
    customer_id: Id
    requested_at: AwareDatetime
    by: Actor
    case_ids: tuple[Id, ...] = Field(default=(), max_length=10_000)
    """The customer's cases (merged customers' included): services that know cases but
    not customers find them by these."""
    merged_ids: tuple[Id, ...] = Field(default=(), max_length=1_000)
    """Customer ids merged into this one earlier: their records are erased too."""


class CustomerErased(Event):
    """One service erased a customer's personal data; anonymous counts stay."""

    key_field: ClassVar[str] = "customer_id"

    erasure_id: Id
    customer_id: Id
    service: Annotated[str, Field(max_length=32, pattern=r"^[a-z]+$")]
    erased_at: AwareDatetime
    rows: Count = 0
    """Rows deleted or stripped of personal data."""


class CustomerErasedByIntake(CustomerErased):
    topic: ClassVar[Topic] = CASES
    event_type: ClassVar[str] = "switchboard.intake.customer-erased"


class CustomerErasedByRouting(CustomerErased):
    topic: ClassVar[Topic] = ASSIGNMENTS
    event_type: ClassVar[str] = "switchboard.routing.customer-erased"


class CustomerErasedByEscalation(CustomerErased):
    topic: ClassVar[Topic] = ESCALATIONS
    event_type: ClassVar[str] = "switchboard.escalation.customer-erased"


class CustomerErasedByFeedback(CustomerErased):
    topic: ClassVar[Topic] = SURVEYS
    event_type: ClassVar[str] = "switchboard.feedback.customer-erased"


CONFIRMATIONS: tuple[type[CustomerErased], ...] = (
    CustomerErasedByIntake,
    CustomerErasedByRouting,
    CustomerErasedByEscalation,
    CustomerErasedByFeedback,
)
EVENTS: tuple[type[Event], ...] = (CustomerErasureRequested, *CONFIRMATIONS)
