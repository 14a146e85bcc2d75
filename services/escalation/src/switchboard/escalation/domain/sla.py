"""SLA policies (conditions → targets per metric) and SLA clocks counted in business time."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from switchboard.escalation.domain.calendar import BusinessCalendar

DEFAULT_WARNING_FRACTIONS = (0.5, 0.75)
BREACH_FRACTION = 1.0


class SlaError(ValueError):
    """An SLA policy or clock operation that does not make sense."""


class Metric(enum.StrEnum):
    FIRST_RESPONSE = "first_response"
    NEXT_RESPONSE = "next_response"
    RESOLUTION = "resolution"


class CaseAttribute(enum.StrEnum):
    PRIORITY = "priority"
    CHANNEL = "channel"
    REGION = "region"
    CUSTOMER_TIER = "customer_tier"


@dataclass(frozen=True)
class CaseProfile:
    """The case attributes SLA policies look at."""

    priority: str
    channel: str
    region: str
    customer_tier: str = "standard"

    def value_of(self, attribute: CaseAttribute) -> str:
        return str(getattr(self, attribute.value))


@dataclass(frozen=True)
class Condition:
    """Matches when the case attribute is one of the allowed values."""

    attribute: CaseAttribute
    allowed: frozenset[str]

    def matches(self, case: CaseProfile) -> bool:
        return case.value_of(self.attribute) in self.allowed


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    conditions: tuple[Condition, ...]
    targets: Mapping[Metric, timedelta]
    warning_fractions: tuple[float, ...] = DEFAULT_WARNING_FRACTIONS
    escalate_at_fractions: frozenset[float] = frozenset({BREACH_FRACTION})
    escalation_policy: str | None = None

    def __post_init__(self) -> None:
        if any(target <= timedelta(0) for target in self.targets.values()):
            raise SlaError(f"policy {self.name!r}: every target must be positive")
        if any(not 0 < fraction < BREACH_FRACTION for fraction in self.warning_fractions):
            raise SlaError(f"policy {self.name!r}: warning fractions must lie strictly in (0, 1)")
        unknown = self.escalate_at_fractions - {*self.warning_fractions, BREACH_FRACTION}
        if unknown:
            raise SlaError(f"policy {self.name!r}: escalates at unknown fractions {unknown}")

    def __hash__(self) -> int:
        return hash(self.name)

    def matches(self, case: CaseProfile) -> bool:
        return all(condition.matches(case) for condition in self.conditions)

    @property
    def thresholds(self) -> tuple[float, ...]:
        return (*sorted(set(self.warning_fractions)), BREACH_FRACTION)


def select_policy(policies: Iterable[SlaPolicy], case: CaseProfile) -> SlaPolicy | None:
    """The first policy whose conditions all match the case."""
    return next((policy for policy in policies if policy.matches(case)), None)


class ClockState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    ACHIEVED = "achieved"
    BREACHED = "breached"


@dataclass(frozen=True)
class SlaClock:
    """One metric's clock on one case; every operation returns a new clock.

    `accumulated` is the business time counted up to `running_since` (or up to the pause);
    `fired` holds the thresholds (warning fractions and 1.0 for the breach) already emitted.
    """

    metric: Metric
    target: timedelta
    thresholds: tuple[float, ...]
    state: ClockState
    accumulated: timedelta
    running_since: datetime | None
    fired: frozenset[float] = field(default_factory=frozenset)
    completed_at: datetime | None = None

    @classmethod
    def start(cls, *, metric: Metric, policy: SlaPolicy, at: datetime) -> SlaClock:
        if metric not in policy.targets:
            raise SlaError(f"policy {policy.name!r} has no {metric} target")
        return cls(
            metric=metric,
            target=policy.targets[metric],
            thresholds=policy.thresholds,
            state=ClockState.RUNNING,
            accumulated=timedelta(0),
            running_since=at,
        )

    @property
    def is_counting(self) -> bool:
        return self.state is ClockState.RUNNING or (
            self.state is ClockState.BREACHED and self.running_since is not None
        )

    def elapsed(self, *, at: datetime, calendar: BusinessCalendar) -> timedelta:
        if not self.is_counting or self.running_since is None:
            return self.accumulated
        return self.accumulated + calendar.business_time_between(self.running_since, at)

    def pause(self, *, at: datetime, calendar: BusinessCalendar) -> SlaClock:
        """The case waits on the customer: stop counting."""
        if self.state is not ClockState.RUNNING:
            return self
        return replace(
            self,
            state=ClockState.PAUSED,
            accumulated=self.elapsed(at=at, calendar=calendar),
            running_since=None,
        )

    def resume(self, *, at: datetime) -> SlaClock:
        """The customer wrote: count again."""
        if self.state is not ClockState.PAUSED:
            return self
        return replace(self, state=ClockState.RUNNING, running_since=at)

    def complete(self, *, at: datetime, calendar: BusinessCalendar) -> SlaClock:
        """The metric was met (a response, a resolution); a breached clock stays breached."""
        if self.completed_at is not None:
            return self
        elapsed = self.elapsed(at=at, calendar=calendar)
        state = ClockState.BREACHED if self.state is ClockState.BREACHED else ClockState.ACHIEVED
        if elapsed > self.target:
            state = ClockState.BREACHED
        return replace(self, state=state, accumulated=elapsed, running_since=None, completed_at=at)

    def retarget(self, *, policy: SlaPolicy) -> SlaClock:
        """Apply another policy (the priority changed); counted time and emitted alerts stay."""
        if self.metric not in policy.targets:
            raise SlaError(f"policy {policy.name!r} has no {self.metric} target")
        return replace(self, target=policy.targets[self.metric], thresholds=policy.thresholds)

    def due_at(self, threshold: float, *, calendar: BusinessCalendar) -> datetime | None:
        """When the clock reaches `threshold` of its target; None while it is not counting."""
        if not self.is_counting or self.running_since is None:
            return None
        remaining = self.target * threshold - self.accumulated
        if remaining <= timedelta(0):
            return self.running_since
        return calendar.add_business_time(self.running_since, remaining)

    def pending_thresholds(self) -> tuple[float, ...]:
        if self.completed_at is not None:
            return ()
        fired = self.fired
        return tuple([t for t in self.thresholds if t not in fired])

    def next_due(self, *, calendar: BusinessCalendar) -> tuple[float, datetime] | None:
        """The next threshold still to fire and when it falls due, if the clock is counting."""
        for threshold in self.pending_thresholds():
            due = self.due_at(threshold, calendar=calendar)
            if due is None:
                return None
            return threshold, due
        return None

    def fire_due(
        self, *, at: datetime, calendar: BusinessCalendar
    ) -> tuple[SlaClock, tuple[float, ...]]:
        """Mark every threshold due by `at` as fired; returns the clock and those thresholds."""
        fired_now = []
        for threshold in self.pending_thresholds():
            due = self.due_at(threshold, calendar=calendar)
            if due is None or due > at:
                break
            fired_now.append(threshold)
        if not fired_now:
            return self, ()
        state = ClockState.BREACHED if BREACH_FRACTION in fired_now else self.state
        clock = replace(self, fired=self.fired | set(fired_now), state=state)
        return clock, tuple(fired_now)
