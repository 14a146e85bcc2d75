"""What every routing use case receives: a unit of work carrying routing's dependencies."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.contracts.base import Event
from switchboard.routing.adapters.orm import CaseRow
from switchboard.routing.domain.policy import PolicySet
from switchboard.routing.domain.pool_staffing import ServiceTarget
from switchboard.routing.domain.wait_forecast import Tolerance
from switchboard.servicekit.personal_keys import PersonalKeys
from switchboard.servicekit.runtime import Worker
from switchboard.servicekit.unit_of_work import UnitOfWork


@dataclass
class PoliciesInForce:
    """The routing policies this replica files cases by: those it started with, then the
    latest document stored (here, or by another replica and seen by the offer loop)."""

    current: PolicySet


class OfferPort(Worker, Protocol):
    """The replica's offer loop as the use cases see it (and the runtime runs it)."""

    def owns(self, pool: str) -> bool:
        """Whether this replica routes the pool (the others are told of cases queued there)."""
        ...

    def wake(self) -> None:
        """Look for offers now rather than at the next timed sync."""
        ...

    async def offer_on_arrival(self, uow: UnitOfWork[Any], cases: list[CaseRow]) -> list[Event]:
        """Offer what it can of ``cases``, queued in ``uow``'s transaction, to free agents
        in that same transaction; the events to publish after the cases' CaseQueued."""
        ...

    def queue_position(self, case_id: str) -> int | None: ...

    def estimated_wait(self, case_id: str) -> timedelta | None: ...


@dataclass(frozen=True)
class StaffingPlan:
    """How the staffing advisor looks at the pools (see service_layer/staffing)."""

    interval: timedelta = timedelta(minutes=15)
    check_every: timedelta = timedelta(minutes=1)
    handle_lookback: timedelta = timedelta(hours=1)
    """The average handle time comes from cases resolved this far back."""
    default_handle_seconds: float | None = None
    """For a pool with arrivals and no resolution in the lookback; None: not assessed."""
    forecast_intervals: int = 4
    """Intervals ahead forecast from the same interval of day on past days."""
    forecast_days: int = 7
    target: ServiceTarget = field(default_factory=ServiceTarget)
    pool_targets: Mapping[str, ServiceTarget] = field(default_factory=dict)

    def target_of(self, pool: str) -> ServiceTarget:
        return self.pool_targets.get(pool, self.target)


@dataclass(frozen=True)
class ForecastPlan:
    """How the wait forecasts look at the queues (see service_layer/wait_forecasts)."""

    check_every: timedelta = timedelta(seconds=15)
    window: timedelta = timedelta(minutes=15)
    """A pool's pace: its offers accepted this far back."""
    least_span: timedelta = timedelta(minutes=5)
    """...counted over the time since the first of them when shorter, but at least this."""
    tolerance: Tolerance = field(default_factory=Tolerance)


@dataclass(frozen=True)
class RoutingDeps:
    policies: PoliciesInForce
    pool_by_department: bool
    """A pool is a region, or region and department when this is set."""
    preferred_agent_for: timedelta
    """How long a reopened case, or a returning customer's, waits for their last agent."""
    offers: OfferPort
    sessions: async_sessionmaker[AsyncSession]
    """For start steps, which run outside any unit of work."""
    policy_file: Mapping[str, object] | None = None
    """The policy document this replica was started with, stored before it serves."""
    staffing: StaffingPlan = field(default_factory=StaffingPlan)
    forecasts: ForecastPlan = field(default_factory=ForecastPlan)
    personal_keys: PersonalKeys | None = None
    """Customers' data keys, from intake: agents' free texts in events are sealed under
    them (see ``service_layer.personal_fields``)."""


RoutingUnitOfWork = UnitOfWork[RoutingDeps]
