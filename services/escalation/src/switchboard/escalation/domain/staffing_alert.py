"""A pool's staffing alert: raised when routing announces the pool short, acknowledged by
a coordinator of its region, resolved when routing announces it staffed again.

Unlike a case's escalation it never moves up levels: the shortfall is the region's to
handle, and the pool's recovery (not a person) closes it. Each transition returns a new
alert; a repeated recovery changes nothing.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime


class StaffingAlertError(ValueError):
    """A transition the alert's state does not allow."""


class AlertStatus(enum.StrEnum):
    RAISED = "raised"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"


@dataclass(frozen=True)
class Shortfall:
    """What routing reckoned for the pool: the agents its target needs against those
    available, and the service level they would give."""

    agents_required: int
    agents_available: int
    expected_service_level: float
    assessed_at: datetime

    @property
    def missing(self) -> int:
        return max(self.agents_required - self.agents_available, 0)


@dataclass(frozen=True)
class StaffingAlert:
    alert_id: str
    pool: str
    region: str
    status: AlertStatus
    shortfall: Shortfall
    raised_at: datetime
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    resolved_at: datetime | None = None

    @classmethod
    def raise_for(
        cls, *, alert_id: str, pool: str, region: str, shortfall: Shortfall, at: datetime
    ) -> StaffingAlert:
        return cls(
            alert_id=alert_id,
            pool=pool,
            region=region,
            status=AlertStatus.RAISED,
            shortfall=shortfall,
            raised_at=at,
        )

    @property
    def active(self) -> bool:
        return self.status is not AlertStatus.RESOLVED

    def still_short(self, shortfall: Shortfall) -> StaffingAlert:
        """A newer reckoning while the alert is active: its figures, not a second alert."""
        if not self.active or shortfall.assessed_at < self.shortfall.assessed_at:
            return self
        return replace(self, shortfall=shortfall)

    def acknowledge(self, *, by: str, at: datetime) -> StaffingAlert:
        if self.status is not AlertStatus.RAISED:
            raise StaffingAlertError(f"staffing alert {self.alert_id} is {self.status}, not raised")
        return replace(
            self, status=AlertStatus.ACKNOWLEDGED, acknowledged_by=by, acknowledged_at=at
        )

    def recover(self, *, at: datetime) -> StaffingAlert:
        """The pool has enough agents again: resolved, whether acknowledged or not."""
        if not self.active:
            return self
        return replace(self, status=AlertStatus.RESOLVED, resolved_at=at)
