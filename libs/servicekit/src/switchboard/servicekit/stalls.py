"""How a background loop waits out a sick dependency: capped backoff, and a stall that
readiness and /metrics report until the loop gets through again."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from switchboard.servicekit.faults import OTHER, is_transient, unavailable_dependency
from switchboard.servicekit.metrics import STALLED

log = logging.getLogger(__name__)
T = TypeVar("T")

OUTAGE_BACKOFF_CAP_SECONDS = 2.0
"""The longest wait between two tries while a dependency is down: how long, at most, a
loop keeps sleeping after the dependency is back."""


class Backoff:
    """Capped exponential delays with jitter: ``first``, about twice that, ... up to
    ``cap``; ``reset()`` after a success."""

    def __init__(self, first: float = 0.1, cap: float = OUTAGE_BACKOFF_CAP_SECONDS) -> None:
        self.first = first
        self.cap = cap
        self._failures = 0

    def next(self) -> float:
        delay: float = min(self.cap, self.first * 2.0**self._failures)
        self._failures += 1
        return delay * random.uniform(0.8, 1.0)

    def reset(self) -> None:
        self._failures = 0


@dataclass(frozen=True)
class Stall:
    dependency: str
    reason: str
    since: float
    """``time.monotonic()`` when it began."""

    def age(self) -> float:
        return time.monotonic() - self.since

    def describe(self) -> str:
        return f"stalled for {self.age():.1f}s: {self.dependency} ({self.reason})"


class StallWatch:
    """What a background loop (a consumer, the relay, a timer poller) tells readiness and
    /metrics while a dependency keeps its work from going on."""

    def __init__(
        self, loop_name: str, *, first_pause: float = 0.1, cap: float = OUTAGE_BACKOFF_CAP_SECONDS
    ) -> None:
        self.loop_name = loop_name
        self.current: Stall | None = None
        self._gauge = STALLED.labels(loop_name)
        self._backoff = Backoff(first=first_pause, cap=cap)

    def stalled(self, error: BaseException) -> str:
        """Note the failure; returns the dependency it blames."""
        dependency = unavailable_dependency(error) or OTHER
        if self.current is None or self.current.dependency != dependency:
            reason = type(error).__name__  # never the text: it may carry personal data
            self.current = Stall(dependency, reason, time.monotonic())
            self._gauge.set(1)
            log.warning("%s waits for the %s: %s", self.loop_name, dependency, reason)
        return dependency

    async def attempt(self, step: Callable[[], Awaitable[T]]) -> T | None:
        """One round of the loop: its result, or None when it failed (a dependency's
        failure is noted as a stall, any other logged); ``pause()`` then says how long to
        wait."""
        try:
            result = await step()
        except Exception as error:
            if is_transient(error):
                self.stalled(error)
            else:
                self._backoff.reset()
                log.exception("%s failed; trying again", self.loop_name)
            return None
        self.recovered()
        return result

    def pause(self, usual: float) -> float:
        """How long to wait before the next round: ``usual``, or longer and longer (up to
        the cap) while a dependency is down."""
        return self._backoff.next() if self.current is not None else usual

    def recovered(self) -> None:
        if self.current is None:
            return
        log.info(
            "%s resumed after %.1fs without the %s",
            self.loop_name,
            time.monotonic() - self.current.since,
            self.current.dependency,
        )
        self.current = None
        self._gauge.set(0)
        self._backoff.reset()
