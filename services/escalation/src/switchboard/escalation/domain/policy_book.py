"""Everything the service decides with, built once from configuration."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

from switchboard.escalation.domain.calendar import BusinessCalendar, WeeklyHours
from switchboard.escalation.domain.escalation import (
    EscalationPolicy,
    TriggerKind,
    policy_for_trigger,
)
from switchboard.escalation.domain.regions import CoordinatorDirectory
from switchboard.escalation.domain.sla import CaseProfile, SlaPolicy, select_policy

DEFAULT_CALENDAR = "default"
ALWAYS_OPEN = BusinessCalendar("UTC", WeeklyHours.around_the_clock())


@dataclass(frozen=True)
class VipRule:
    tiers: frozenset[str] = frozenset({"vip"})
    wait: timedelta = timedelta(minutes=15)

    def applies_to(self, *, customer_tier: str | None, vip: bool) -> bool:
        return vip or (customer_tier is not None and customer_tier in self.tiers)


@dataclass(frozen=True)
class PolicyBook:
    calendars: Mapping[str, BusinessCalendar]
    sla_policies: tuple[SlaPolicy, ...]
    escalation_policies: tuple[EscalationPolicy, ...]
    directory: CoordinatorDirectory
    vip: VipRule = field(default_factory=VipRule)

    def calendar_for(self, region: str) -> BusinessCalendar:
        return self.calendars.get(region) or self.calendars.get(DEFAULT_CALENDAR) or ALWAYS_OPEN

    def sla_policy_for(self, case: CaseProfile) -> SlaPolicy | None:
        return select_policy(self.sla_policies, case)

    def sla_policy_named(self, name: str) -> SlaPolicy | None:
        return next((p for p in self.sla_policies if p.name == name), None)

    def escalation_policy_for(
        self, trigger: TriggerKind, preferred: str | None = None
    ) -> EscalationPolicy | None:
        return policy_for_trigger(self.escalation_policies, trigger, preferred)

    def escalation_policy_named(self, name: str) -> EscalationPolicy | None:
        return next((p for p in self.escalation_policies if p.name == name), None)
