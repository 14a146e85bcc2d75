"""Predicted breach: a waiting case whose offer, at its pool's present pace, comes too late
for its first-response deadline is at risk — said once per clock, cleared by the offer.

Routing says when it expects the offer (or that none is in sight); the clock says when
the first response is due. The offer must come at least ``margin`` before that, to leave
the agent time to accept and reply.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta


def will_breach(expected_offer_at: datetime | None, *, due_at: datetime, margin: timedelta) -> bool:
    """At this pace the case is offered too late (or never) to be answered by ``due_at``."""
    return expected_offer_at is None or expected_offer_at > due_at - margin


def margin_for(target: timedelta, share: float) -> timedelta:
    """The time left for accepting and replying: ``share`` of the clock's target."""
    return target * share


@dataclass(frozen=True)
class BreachWatch:
    """One clock's prediction: when it was found at risk, and when that cleared. Every
    operation returns a new watch; a clock is predicted to breach once, at most."""

    predicted_at: datetime | None = None
    cleared_at: datetime | None = None

    @property
    def at_risk(self) -> bool:
        return self.predicted_at is not None and self.cleared_at is None

    def weigh(
        self,
        expected_offer_at: datetime | None,
        *,
        due_at: datetime,
        margin: timedelta,
        at: datetime,
    ) -> BreachWatch:
        """A new forecast: at risk now if it comes too late and was never predicted."""
        if self.predicted_at is not None:
            return self
        if not will_breach(expected_offer_at, due_at=due_at, margin=margin):
            return self
        return replace(self, predicted_at=at)

    def clear(self, *, at: datetime) -> BreachWatch:
        """The case was offered: no longer at risk (a later wait is not predicted again)."""
        if not self.at_risk:
            return self
        return replace(self, cleared_at=at)
