"""What the handlers share at run time: the policies in force, how to wake the router and
how to offer new cases at once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from switchboard.contracts.base import Event
from switchboard.routing.adapters.orm import CaseRow
from switchboard.routing.domain.policy import PolicySet

OFFER_TIMER = "routing.offer-expiry"
REVIEW_TIMER = "routing.case-review"


def _nothing() -> None:
    return None


async def _no_offers(session: AsyncSession, cases: list[CaseRow]) -> list[Event]:
    return []


@dataclass
class RoutingContext:
    policies: PolicySet
    pool_by_department: bool = False
    preferred_agent_for: timedelta = timedelta(minutes=10)
    replica: str = "routing-1"
    wake: Callable[[], None] = field(default=_nothing)
    offer_on_arrival: Callable[[AsyncSession, list[CaseRow]], Awaitable[list[Event]]] = field(
        default=_no_offers
    )
    """Offers what it can to free agents in the transaction that queues new cases; the
    events to publish."""
    owns: Callable[[str], bool] = field(default=lambda pool: True)
    """Whether this replica routes the pool (the others are told of cases queued there)."""
