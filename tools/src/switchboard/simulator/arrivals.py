"""When contacts arrive: a non-homogeneous Poisson process over the working day, with a
morning peak and a smaller one after lunch, drawn by thinning (Lewis and Shedler)."""

from __future__ import annotations

import math
import random

from switchboard.simulator.scenario import DAY_END_HOUR, DAY_START_HOUR

_INTEGRATION_STEPS = 2_000


def shape(hour: float) -> float:
    """Relative arrival intensity at a simulated hour: a base load, a peak at 10:00 and a
    second, smaller one at 14:00."""
    morning = 1.6 * math.exp(-(((hour - 10.0) / 0.9) ** 2) / 2)
    afternoon = 0.6 * math.exp(-(((hour - 14.0) / 1.2) ** 2) / 2)
    return 0.5 + morning + afternoon


def _integral(start: float, end: float) -> float:
    step = (end - start) / _INTEGRATION_STEPS
    return sum(shape(start + (i + 0.5) * step) for i in range(_INTEGRATION_STEPS)) * step


class ArrivalProcess:
    """Arrival hours of one day; ``expected`` contacts on average, scaled so that the
    intensity integrates to it over the day."""

    def __init__(
        self,
        expected: float,
        *,
        start: float = DAY_START_HOUR,
        end: float = DAY_END_HOUR,
    ) -> None:
        if expected <= 0 or end <= start:
            raise ValueError("an arrival process needs expected > 0 and end > start")
        self.start, self.end = start, end
        self.scale = expected / _integral(start, end)
        self.peak = (
            1.02 * self.scale * max(shape(start + i * (end - start) / 200) for i in range(201))
        )

    def rate(self, hour: float) -> float:
        """Contacts per simulated hour."""
        return self.scale * shape(hour)

    def expected_between(self, start: float, end: float) -> float:
        return self.scale * _integral(start, end)

    def hours(self, rng: random.Random) -> list[float]:
        """One day's arrival times in simulated hours, sorted."""
        arrivals: list[float] = []
        hour = self.start
        while True:
            hour += rng.expovariate(self.peak)
            if hour >= self.end:
                return arrivals
            if rng.random() * self.peak <= self.rate(hour):
                arrivals.append(hour)
