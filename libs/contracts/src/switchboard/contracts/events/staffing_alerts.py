"""Staffing alerts on the escalations topic, written by escalation and keyed by alert id.

A staffing alert is escalation's answer to routing's ``StaffingShortfall``: the pool's
region's coordinators are told before its SLAs break. It concerns a pool, not a case, so
it has no case id and never moves up levels: raised, acknowledged by one of those
coordinators, resolved when routing announces the pool staffed again. The CloudEvents
subject is the pool.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Actor, Id, Note, Region, Seconds, Slug
from switchboard.contracts.events.staffing import Agents, Pool, Share
from switchboard.contracts.topics import ESCALATIONS, Topic


class StaffingAlertEvent(Event):
    topic: ClassVar[Topic] = ESCALATIONS
    key_field: ClassVar[str] = "alert_id"
    subject_field: ClassVar[str | None] = "pool"

    alert_id: Id
    pool: Pool
    region: Region


class StaffingAlertRaised(StaffingAlertEvent):
    """A pool is short of agents: its region's coordinators are alerted."""

    event_type: ClassVar[str] = "switchboard.staffing-alert.raised"

    department: Slug | None = None
    shortfall_event_id: Id
    """The CloudEvents id of routing's ``StaffingShortfall`` that raised it."""
    interval_start: AwareDatetime
    interval_seconds: Annotated[float, Field(gt=0)]
    arrivals: Agents
    load_erlangs: Seconds
    target_share: Share
    target_answer_seconds: Seconds
    agents_required: Agents
    agents_available: Agents
    expected_service_level: Share
    targets: Annotated[tuple[Actor, ...], Field(max_length=50)]
    """The region's coordinators, who are notified."""
    raised_at: AwareDatetime


class StaffingAlertAcknowledged(StaffingAlertEvent):
    """A coordinator of the region took the alert."""

    event_type: ClassVar[str] = "switchboard.staffing-alert.acknowledged"

    by: Actor
    acknowledged_at: AwareDatetime
    note: Note | None = None


class StaffingAlertResolvedBecause(StrEnum):
    RECOVERED = "recovered"
    """Routing announced the pool staffed again (``StaffingRecovered``)."""


class StaffingAlertResolved(StaffingAlertEvent):
    """The pool has the agents its target needs again; the alert is closed."""

    event_type: ClassVar[str] = "switchboard.staffing-alert.resolved"

    reason: StaffingAlertResolvedBecause
    recovered_event_id: Id | None = None
    """The CloudEvents id of routing's ``StaffingRecovered``."""
    agents_required: Agents
    agents_available: Agents
    resolved_at: AwareDatetime


EVENTS: tuple[type[Event], ...] = (
    StaffingAlertRaised,
    StaffingAlertAcknowledged,
    StaffingAlertResolved,
)
