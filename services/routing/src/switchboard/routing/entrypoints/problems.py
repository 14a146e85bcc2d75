"""The routing domain's refusals as problem responses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from switchboard.routing.domain.errors import RoutingError, UnknownAgent, UnknownCase
from switchboard.routing.domain.transfers import UnknownQueue
from switchboard.servicekit.http import Problem


@contextmanager
def domain_errors() -> Iterator[None]:
    """An unknown agent, case or queue is a 404; any other refusal (a case not in the state the
    request needs, or held by another agent) a 409."""
    try:
        yield
    except (UnknownCase, UnknownAgent, UnknownQueue) as error:
        raise Problem(404, str(error)) from error
    except RoutingError as error:
        raise Problem(409, str(error)) from error
