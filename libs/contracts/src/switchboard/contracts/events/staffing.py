"""Events on the staffing topic, written by routing and keyed by pool.

Routing counts, per pool and interval, the cases that arrived and how long agents held
them, and asks Erlang C how many agents the pool's service-level target needs; a pool
with fewer agents available is short. At most one event per pool and interval: one when
it falls short, one when it has enough again.
"""

from __future__ import annotations

from typing import Annotated, ClassVar

from pydantic import AwareDatetime, Field, StringConstraints

from switchboard.contracts.base import Event
from switchboard.contracts.events.common import Region, Seconds, Slug
from switchboard.contracts.topics import STAFFING, Topic

Pool = Annotated[
    str,
    StringConstraints(max_length=100, pattern=r"^[a-z][a-z0-9-]*(/[a-z0-9][a-z0-9_-]*)?$"),
]
"""A routing pool: its region, or ``region/department`` where pools go by department."""
Agents = Annotated[int, Field(ge=0)]
Share = Annotated[float, Field(ge=0.0, le=1.0)]


class StaffingEvent(Event):
    topic: ClassVar[Topic] = STAFFING
    key_field: ClassVar[str] = "pool"

    pool: Pool
    region: Region
    department: Slug | None = None
    interval_start: AwareDatetime
    """The start of the interval the counts come from (it ends at ``assessed_at``)."""
    interval_seconds: Annotated[float, Field(gt=0)]
    arrivals: Agents
    """Cases that entered the pool in the interval."""
    average_handle_seconds: Annotated[float, Field(gt=0)]
    """From accept to resolution of the pool's recently resolved cases."""
    load_erlangs: Seconds
    """Arrivals per second times the average handle time."""
    target_share: Share
    """The service-level target: this share of cases answered..."""
    target_answer_seconds: Seconds
    """...within this many seconds."""
    agents_required: Agents
    """The fewest agents who meet the target (Erlang C, callers who never abandon)."""
    agents_available: Agents
    """Agents of the pool present and taking work."""
    expected_service_level: Share
    """The share answered in time with the agents available (Erlang C); 0 when they are
    no more than the load."""
    assessed_at: AwareDatetime


class StaffingShortfall(StaffingEvent):
    """A pool has fewer agents available than its service-level target needs."""

    event_type: ClassVar[str] = "switchboard.staffing.shortfall"


class StaffingRecovered(StaffingEvent):
    """A pool that was short has the agents its service-level target needs again."""

    event_type: ClassVar[str] = "switchboard.staffing.recovered"


EVENTS: tuple[type[Event], ...] = (StaffingShortfall, StaffingRecovered)
