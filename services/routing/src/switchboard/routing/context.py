"""What the handlers share at run time: the policies in force and how to wake the router."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

from switchboard.routing.domain.policy import PolicySet

OFFER_TIMER = "routing.offer-expiry"
REVIEW_TIMER = "routing.case-review"


def _nothing() -> None:
    return None


@dataclass
class RoutingContext:
    policies: PolicySet
    pool_by_department: bool = False
    preferred_agent_for: timedelta = timedelta(minutes=10)
    replica: str = "routing-1"
    wake: Callable[[], None] = field(default=_nothing)
