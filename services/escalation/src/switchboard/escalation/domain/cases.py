"""What escalation follows of a case's life besides its clocks: whose move it is."""

from __future__ import annotations

import enum


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    """The customer waits for us."""
    WAITING_ON_CUSTOMER = "waiting_on_customer"
    """We answered; the resolution clock is paused until the customer writes."""
    RESOLVED = "resolved"
