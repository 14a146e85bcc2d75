"""Why the routing domain refuses a request."""

from __future__ import annotations


class RoutingError(Exception):
    """A request the routing domain refuses; the edge maps it to a 4xx."""


class UnknownAgent(RoutingError):
    def __init__(self, agent_id: str) -> None:
        super().__init__(f"unknown agent {agent_id!r}")


class UnknownCase(RoutingError):
    def __init__(self, case_id: str) -> None:
        super().__init__(f"unknown case {case_id!r}")


class WrongState(RoutingError):
    """The case is not in the state the request needs, or belongs to another agent."""
