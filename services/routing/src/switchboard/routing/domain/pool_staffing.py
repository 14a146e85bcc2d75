"""A pool's staffing now: the agents its service-level target needs for the traffic of
the last interval, against the agents available, and when that is worth an announcement.

A pool is announced short when it falls short and staffed again when it recovers, never
twice in one interval, so a pool hovering at the edge costs one event per interval at most.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from switchboard.routing.domain.staffing import agents_required, service_level


@dataclass(frozen=True, slots=True)
class ServiceTarget:
    """``share`` of the cases answered within ``answer_seconds``, by agents busy at most
    ``max_occupancy`` of their time."""

    share: float = 0.8
    answer_seconds: float = 60.0
    max_occupancy: float = 1.0


@dataclass(frozen=True, slots=True)
class PoolTraffic:
    pool: str
    arrivals: int
    window: timedelta
    """The arrivals came in this long (the interval up to now)."""
    handle_seconds: float
    """The average from accept to resolution."""
    agents_available: int


@dataclass(frozen=True, slots=True)
class PoolStaffing:
    traffic: PoolTraffic
    target: ServiceTarget
    load: float
    """Erlangs: arrivals per second times the average handle time."""
    agents_required: int
    expected_service_level: float
    """With the agents available."""

    @property
    def short(self) -> bool:
        return self.traffic.agents_available < self.agents_required


def assess(traffic: PoolTraffic, target: ServiceTarget) -> PoolStaffing:
    """The agents ``target`` needs for ``traffic`` (Erlang C) and what those available give."""
    load = traffic.arrivals * traffic.handle_seconds / traffic.window.total_seconds()
    common = {"handle_seconds": traffic.handle_seconds, "within_seconds": target.answer_seconds}
    return PoolStaffing(
        traffic=traffic,
        target=target,
        load=load,
        agents_required=agents_required(
            load, target=target.share, max_occupancy=target.max_occupancy, **common
        ),
        expected_service_level=service_level(traffic.agents_available, load, **common),
    )


class Standing(StrEnum):
    SHORT = "short"
    STAFFED = "staffed"


@dataclass(frozen=True, slots=True)
class Announced:
    """What was last said of a pool, and in which interval."""

    standing: Standing
    interval: int


def interval_of(at: datetime, length: timedelta) -> int:
    """The number of the interval of ``length`` that ``at`` falls in (counted from 1970)."""
    return math.floor(at.timestamp() / length.total_seconds())


def to_announce(last: Announced | None, *, short: bool, interval: int) -> Standing | None:
    """What to announce of a pool now: that it fell short, or recovered; None when nothing
    changed, or something was announced already in this interval."""
    if last is not None and last.interval >= interval:
        return None
    if short:
        return Standing.SHORT if last is None or last.standing is Standing.STAFFED else None
    return Standing.STAFFED if last is not None and last.standing is Standing.SHORT else None
