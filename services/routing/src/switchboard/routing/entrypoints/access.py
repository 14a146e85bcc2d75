"""Who may do what in routing. The caller is servicekit's bearer JWT; ``sub`` is the agent id.

Agents act for themselves; admins for anyone. Coordinators read the agents and cases of
their token's regions but act only for themselves, like agents."""

from __future__ import annotations

from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.http import Problem


def acting_agent(who: Principal, agent_id: str) -> None:
    """Agents and coordinators act only for themselves; an admin may act for anyone."""
    if who.role is not Role.ADMIN and who.subject != agent_id:
        raise Problem(403, "only an admin may act for another agent")


def agent_acting(who: Principal, agent_id: str | None) -> str:
    """The agent a request acts for: the caller, or the one an admin names."""
    acting = agent_id or who.subject
    acting_agent(who, acting)
    return acting


def may_read(who: Principal, *, owner: str | None, region: str | None = None) -> bool:
    """Admins read everything, coordinators what is in their regions, agents their own."""
    if who.role is Role.ADMIN or (owner is not None and owner == who.subject):
        return True
    return who.role is Role.COORDINATOR and region is not None and region in who.regions


def require_reader(who: Principal, *, owner: str | None, region: str | None) -> None:
    if not may_read(who, owner=owner, region=region):
        raise Problem(403, "agents read only their own; coordinators only their regions")


def overview_regions(who: Principal, region: str | None) -> frozenset[str] | None:
    """The regions whose agents and queues the caller may list (None: all, for admins):
    coordinators those of their token, narrowed to ``region``; agents none at all."""
    if who.role is Role.ADMIN:
        return None if region is None else frozenset({region})
    if who.role is not Role.COORDINATOR:
        raise Problem(403, "only coordinators and admins list agents and queues")
    if region is None:
        return who.regions
    if region not in who.regions:
        raise Problem(403, f"region {region!r} is not one of your token's regions")
    return frozenset({region})
