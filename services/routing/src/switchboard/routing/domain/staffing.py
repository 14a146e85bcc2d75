"""Erlang C: how a pool of agents serves a queue (M/M/N, callers who never give up).

``load`` is the offered traffic in Erlangs (arrivals per second times average handle seconds),
``agents`` the servers. Everything goes through Erlang B's recursion
B(0) = 1, B(n) = A·B(n-1) / (n + A·B(n-1)), which stays within [0, 1] at every step, so
loads of thousands of Erlangs need no factorials and no powers. Erlang C follows from it:
C = N·B / (N - A·(1 - B)).

With no more agents than the load the queue grows without bound: nobody is answered in
time (service level 0, probability of waiting 1, infinite average speed of answer).

Abandonment (Erlang A, M/M/N+M) is not modelled: these figures are those of callers who
wait for ever, so they overstate the agents needed where callers hang up.
"""

from __future__ import annotations

import math
from collections.abc import Iterator


def _erlang_b_series(load: float) -> Iterator[tuple[int, float]]:
    """(n, B(n, load)) for n = 0, 1, 2, ..."""
    blocking, agents = 1.0, 0
    while True:
        yield agents, blocking
        agents += 1
        carried = load * blocking
        blocking = carried / (agents + carried)


def erlang_b(agents: int, load: float) -> float:
    """The probability that a call finds every agent busy when it cannot wait (Erlang B)."""
    _check(agents, load)
    for n, blocking in _erlang_b_series(load):
        if n == agents:
            return blocking
    raise AssertionError("unreachable")  # pragma: no cover


def _erlang_c_from_b(agents: int, load: float, blocking: float) -> float:
    if agents <= load:
        return 1.0
    return min(1.0, agents * blocking / (agents - load * (1.0 - blocking)))


def wait_probability(agents: int, load: float) -> float:
    """The probability that a call has to wait for an agent (Erlang C)."""
    return _erlang_c_from_b(agents, load, erlang_b(agents, load))


def _service_level_from_c(
    agents: int, load: float, waits: float, *, handle_seconds: float, within_seconds: float
) -> float:
    if agents <= load:
        return 0.0
    late = waits * math.exp(-(agents - load) * within_seconds / handle_seconds)
    return min(1.0, max(0.0, 1.0 - late))


def service_level(
    agents: int, load: float, *, handle_seconds: float, within_seconds: float
) -> float:
    """The share of calls answered within ``within_seconds``."""
    _check_times(handle_seconds, within_seconds)
    return _service_level_from_c(
        agents,
        load,
        wait_probability(agents, load),
        handle_seconds=handle_seconds,
        within_seconds=within_seconds,
    )


def average_speed_of_answer(agents: int, load: float, *, handle_seconds: float) -> float:
    """The mean wait of all calls, those answered at once counted as zero (seconds)."""
    _check_times(handle_seconds, 0.0)
    if agents <= load:
        return math.inf
    return wait_probability(agents, load) * handle_seconds / (agents - load)


def occupancy(agents: int, load: float) -> float:
    """The share of their time the agents spend handling calls."""
    _check(agents, load)
    if load == 0:
        return 0.0
    return 1.0 if agents <= load else load / agents


def agents_required(
    load: float,
    *,
    handle_seconds: float,
    within_seconds: float,
    target: float,
    max_occupancy: float = 1.0,
) -> int:
    """The fewest agents who answer ``target`` of the calls within ``within_seconds``,
    and are busy no more than ``max_occupancy`` of their time."""
    _check(0, load)
    _check_times(handle_seconds, within_seconds)
    if not 0.0 <= target < 1.0:
        raise ValueError("the service-level target must be at least 0 and below 1")
    if not 0.0 < max_occupancy <= 1.0:
        raise ValueError("the maximum occupancy must be above 0 and at most 1")
    if load == 0:
        return 0
    least_for_occupancy = math.ceil(load / max_occupancy)
    for agents, blocking in _erlang_b_series(load):
        if agents <= load or agents < least_for_occupancy:
            continue
        waits = _erlang_c_from_b(agents, load, blocking)
        level = _service_level_from_c(
            agents, load, waits, handle_seconds=handle_seconds, within_seconds=within_seconds
        )
        if level >= target:
            return agents
    raise AssertionError("unreachable")  # pragma: no cover


def _check(agents: int, load: float) -> None:
    if agents < 0:
        raise ValueError("the number of agents cannot be negative")
    if not (math.isfinite(load) and load >= 0):
        raise ValueError("the load must be a finite number of Erlangs, at least 0")


def _check_times(handle_seconds: float, within_seconds: float) -> None:
    if not (math.isfinite(handle_seconds) and handle_seconds > 0):
        raise ValueError("the average handle time must be above 0 seconds")
    if not (math.isfinite(within_seconds) and within_seconds >= 0):
        raise ValueError("the answer time of the target cannot be negative")
