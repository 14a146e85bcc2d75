"""Coordinators, the regions each covers, and who may see and act on an escalation."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from switchboard.servicekit.auth import Principal, Role


@dataclass(frozen=True)
class Coordinator:
    coordinator_id: str
    name: str
    regions: frozenset[str]
    roles: frozenset[str] = frozenset()


def can_see(principal: Principal, region: str) -> bool:
    """Admins see every region; coordinators and agents only the regions in their token."""
    return principal.role is Role.ADMIN or region in principal.regions


def can_act(principal: Principal, region: str) -> bool:
    """Acknowledge, reassign and resolve: admins anywhere, coordinators in their regions."""
    if principal.role is Role.ADMIN:
        return True
    return principal.role is Role.COORDINATOR and region in principal.regions


def can_raise(principal: Principal, region: str) -> bool:
    """A manual escalation: any role, within the regions it sees."""
    return can_see(principal, region)


def visible_regions(principal: Principal, regions: Iterable[str]) -> frozenset[str]:
    return frozenset(region for region in regions if can_see(principal, region))


class CoordinatorDirectory:
    def __init__(self, coordinators: Iterable[Coordinator]) -> None:
        self._by_id = {c.coordinator_id: c for c in coordinators}

    def __iter__(self) -> Iterator[Coordinator]:
        return iter(self._by_id.values())

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
