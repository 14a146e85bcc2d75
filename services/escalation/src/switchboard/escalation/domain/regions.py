"""Coordinators, the regions each covers, and who may act on an escalation (seeing one is
``Principal.covers``: admins everywhere, everyone else in their token's regions)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from switchboard.servicekit.auth.principals import Principal, Role


@dataclass(frozen=True)
class Coordinator:
    coordinator_id: str
    name: str
    regions: frozenset[str]
    roles: frozenset[str] = frozenset()


def can_act(principal: Principal, region: str) -> bool:
    """Acknowledge, reassign and resolve: admins anywhere, coordinators in their regions."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.COORDINATOR and region in principal.regions


class CoordinatorDirectory:
    def __init__(self, coordinators: Iterable[Coordinator]) -> None:
        self._by_id = {c.coordinator_id: c for c in coordinators}

    def get(self, coordinator_id: str) -> Coordinator | None:
        return self._by_id.get(coordinator_id)

    def covering(self, region: str) -> tuple[Coordinator, ...]:
        return tuple(c for c in self._by_id.values() if region in c.regions)

    def resolve_targets(self, targets: Iterable[str], *, region: str) -> tuple[Coordinator, ...]:
        """Turn a level's targets into coordinators of the region.

        A target is `role:<role>` for the coordinators of the region holding that role (team
        lead, regional coordinator, manager...), `region` for every coordinator covering it,
        or a coordinator id, kept only if it covers the region: an escalation never leaves
        its region.
        """
        resolved: dict[str, Coordinator] = {}
        for target in targets:
            if target == "region":
                resolved |= {c.coordinator_id: c for c in self.covering(region)}
            elif target.startswith("role:"):
                role = target.removeprefix("role:")
                resolved |= {c.coordinator_id: c for c in self.covering(region) if role in c.roles}
            elif (coordinator := self.get(target)) and region in coordinator.regions:
                resolved[coordinator.coordinator_id] = coordinator
        return tuple(resolved.values())
