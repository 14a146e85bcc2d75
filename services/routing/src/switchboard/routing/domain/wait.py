"""Estimated wait from the recent pace of offers in a pool and channel."""

from __future__ import annotations

from collections import deque
from datetime import datetime, timedelta


class ThroughputMeter:
    """Keeps the times of the last ``window`` offers and turns them into a rate."""

    def __init__(self, window: int = 200) -> None:
        self.times: deque[datetime] = deque(maxlen=window)

    def record(self, at: datetime) -> None:
        self.times.append(at)

    def per_second(self) -> float | None:
        if len(self.times) < 2:
            return None
        span = (self.times[-1] - self.times[0]).total_seconds()
        if span <= 0:
            return None
        return (len(self.times) - 1) / span

    def estimated_wait(self, cases_ahead: int) -> timedelta | None:
        rate = self.per_second()
        if rate is None:
            return None
        return timedelta(seconds=(cases_ahead + 1) / rate)
