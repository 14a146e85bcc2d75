"""A customer's erasure (GDPR art. 17) as intake tracks it: requested once, confirmed by
each service in its own time; done when all four have confirmed. A repeated or late
confirmation changes nothing."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from types import MappingProxyType

SERVICES: tuple[str, ...] = ("intake", "routing", "escalation", "feedback")


@dataclass(frozen=True)
class Erasure:
    erasure_id: str
    customer_id: str
    requested_at: datetime
    requested_by: str
    confirmations: Mapping[str, datetime] = field(default_factory=lambda: MappingProxyType({}))
    """When each service that confirmed erased its share."""

    def confirm(self, service: str, at: datetime) -> Erasure:
        if service not in SERVICES:
            raise ValueError(f"unknown service {service!r}")
        if service in self.confirmations:
            return self
        confirmed = MappingProxyType({**self.confirmations, service: at})
        return replace(self, confirmations=confirmed)

    def confirmed_from(self, confirmations: Mapping[str, datetime]) -> Erasure:
        erasure = self
        for service, at in confirmations.items():
            erasure = erasure.confirm(service, at)
        return erasure

    @property
    def pending(self) -> tuple[str, ...]:
        return tuple(s for s in SERVICES if s not in self.confirmations)

    @property
    def complete(self) -> bool:
        return not self.pending
