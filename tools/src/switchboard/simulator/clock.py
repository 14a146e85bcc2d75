"""Simulated time: the 08:00-18:00 working day compressed into ``day_seconds`` real seconds."""

from __future__ import annotations

import asyncio
import math
import random
import time

from switchboard.simulator.scenario import DAY_END_HOUR, DAY_START_HOUR

DAY_HOURS = DAY_END_HOUR - DAY_START_HOUR


class SimClock:
    def __init__(self, day_seconds: float, *, started: float | None = None) -> None:
        self.day_seconds = day_seconds
        self.speed = DAY_HOURS * 3600 / day_seconds
        """Simulated seconds per real second."""
        self.started = time.monotonic() if started is None else started

    def hour(self) -> float:
        """The simulated hour now, e.g. 9.5 for half past nine."""
        return DAY_START_HOUR + (time.monotonic() - self.started) * self.speed / 3600

    def real_seconds(self, simulated_seconds: float) -> float:
        return simulated_seconds / self.speed

    async def until(self, hour: float) -> None:
        delay = self.real_seconds((hour - self.hour()) * 3600)
        if delay > 0:
            await asyncio.sleep(delay)

    async def wait(self, simulated_seconds: float, *, at_most: float = math.inf) -> None:
        await asyncio.sleep(min(at_most, self.real_seconds(simulated_seconds)))


def clock_time(hour: float) -> str:
    minutes = round(hour * 60)
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    """A duration with the given median (handle times, think times are lognormal)."""
    return median * math.exp(rng.gauss(0.0, sigma))
