"""When each waiting case can expect its offer, at its pool's present pace, and when that
expectation has moved enough to be said again.

The pace is what the queue actually got: the cases of the pool and channel whose offer an
agent accepted over a recent window, per minute — over the time since the first of them
when that is shorter (a pool that just started being served), but never less than a few
minutes (one early offer promises no rush). It counts what a model of agents and
handle times would have to guess (agents shared between pools, per-channel capacity,
declines, expiries, wrap-up), and falls to zero when nobody serves the pool — then no
offer is in sight and every case there waits with no end. A case with ``position`` cases
ahead is offered after ``position + 1`` of them at that pace.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import groupby


@dataclass(frozen=True, slots=True)
class WaitingCase:
    case_id: str
    pool: str
    channel: str
    priority: int
    enqueued_at: datetime


@dataclass(frozen=True, slots=True)
class Forecast:
    position: int
    served_per_minute: float
    expected_offer_at: datetime | None
    """None: the pool serves none at present."""


@dataclass(frozen=True, slots=True)
class Tolerance:
    """A forecast is said again when it moves by more than ``seconds``, or more than
    ``share`` of the wait the last one expected, whichever is more."""

    seconds: float = 30.0
    share: float = 0.2


def per_minute(
    accepted: int, first_at: datetime | None, *, now: datetime, window: timedelta, least: timedelta
) -> float:
    """``accepted`` offers, the first at ``first_at``, per minute over the window, or over
    the time since the first when shorter — but at least ``least``."""
    if accepted <= 0 or first_at is None:
        return 0.0
    span = min(window, max(least, now - first_at))
    return accepted * 60.0 / span.total_seconds()


def forecast(position: int, served_per_minute: float, *, now: datetime) -> Forecast:
    """The case is offered after ``position + 1`` cases at the pace, or never at none."""
    if served_per_minute <= 0:
        return Forecast(position, 0.0, None)
    wait = timedelta(minutes=(position + 1) / served_per_minute)
    return Forecast(position, served_per_minute, now + wait)


def queue_positions(cases: Iterable[WaitingCase]) -> dict[str, int]:
    """Each case's count of waiting cases of its pool and channel served before it: a
    higher priority (a lower number), or the same and enqueued earlier (routing's order)."""
    ordered = sorted(cases, key=lambda c: (c.pool, c.channel, c.priority, c.enqueued_at, c.case_id))
    positions: dict[str, int] = {}
    for _, queue in groupby(ordered, key=lambda c: (c.pool, c.channel)):
        for position, case in enumerate(queue):
            positions[case.case_id] = position
    return positions


def worth_saying(
    said: datetime | None,
    ever_said: bool,
    new: Forecast,
    *,
    now: datetime,
    tolerance: Tolerance,
) -> bool:
    """Whether to publish ``new`` after having said ``said`` (if ``ever_said``): the first
    forecast of a wait, an offer coming into sight or out of it, or a move beyond the
    tolerance."""
    if not ever_said:
        return True
    if said is None or new.expected_offer_at is None:
        return (said is None) != (new.expected_offer_at is None)
    moved = abs((new.expected_offer_at - said).total_seconds())
    expected_wait = max(0.0, (said - now).total_seconds())
    return moved > max(tolerance.seconds, tolerance.share * expected_wait)
