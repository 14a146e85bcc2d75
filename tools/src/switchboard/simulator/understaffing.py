"""Understaffed hours injected into simulated days: for a while, a region's agents go
away — all but a few of those on shift, who stay — and then come back.

Written ``REGION@HH:MM[+MINUTES][/STAYING]`` on the command line: ``dach@10:00`` sends
all but one of dach's agents on shift away from 10:00 to 11:00, ``poland@14:30+45/2``
all but two for 45 minutes. The same window applies on every simulated day.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from switchboard.simulator.scenario import (
    DAY_END_HOUR,
    DAY_START_HOUR,
    REGION_NAMES,
    AgentSpec,
    World,
)

_WRITTEN = re.compile(
    r"^(?P<region>[a-z]+)@(?P<hh>\d{1,2}):(?P<mm>\d{2})"
    r"(?:\+(?P<minutes>\d+))?(?:/(?P<staying>\d+))?$"
)


@dataclass(frozen=True)
class UnderstaffedHour:
    region: str
    """The region's name (not its code on the platform)."""
    start_hour: float
    minutes: float = 60.0
    staying: int = 1
    """Agents on shift at the start who stay; the others are away until the end."""

    @property
    def end_hour(self) -> float:
        return self.start_hour + self.minutes / 60.0

    def covers(self, hour: float) -> bool:
        return self.start_hour <= hour < self.end_hour

    def __str__(self) -> str:
        hours, minutes = divmod(round(self.start_hour * 60), 60)
        return f"{self.region}@{hours:02d}:{minutes:02d}+{self.minutes:g}/{self.staying}"


def parse_understaffed_hour(written: str) -> UnderstaffedHour:
    """``REGION@HH:MM[+MINUTES][/STAYING]`` (60 minutes, one staying); ValueError if not."""
    match = _WRITTEN.match(written.strip())
    if match is None:
        raise ValueError(f"{written!r}: expected REGION@HH:MM[+MINUTES][/STAYING]")
    region = match["region"]
    if region not in REGION_NAMES:
        raise ValueError(f"{written!r}: unknown region; choose from {list(REGION_NAMES)}")
    start = int(match["hh"]) + int(match["mm"]) / 60.0
    minutes = float(match["minutes"] or 60)
    if int(match["mm"]) >= 60 or not DAY_START_HOUR <= start < DAY_END_HOUR or minutes <= 0:
        raise ValueError(
            f"{written!r}: the window must start within the working day "
            f"({DAY_START_HOUR:02.0f}:00-{DAY_END_HOUR:02.0f}:00) and last a minute at least"
        )
    return UnderstaffedHour(region, start, minutes, int(match["staying"] or 1))


@dataclass(frozen=True)
class Absences:
    """Who is sent away in which window, on top of their shifts."""

    away: Mapping[UnderstaffedHour, frozenset[str]] = field(default_factory=dict)

    def on_duty(self, agent: AgentSpec, hour: float) -> bool:
        """On shift at ``hour``, and not sent away by a window covering it."""
        if not agent.shift.on_duty(hour):
            return False
        return not any(
            window.covers(hour) and agent.id in gone for window, gone in self.away.items()
        )


def plan_absences(world: World, windows: Iterable[UnderstaffedHour]) -> Absences:
    """For each window, every agent of its region is sent away but the first ``staying``
    (in the world's order) of those on shift at its start — also one whose shift begins
    within the window."""
    away: dict[UnderstaffedHour, frozenset[str]] = {}
    for window in windows:
        code = world.code(window.region)
        region = [agent for agent in world.agents if agent.region == code]
        on_shift = [agent.id for agent in region if agent.shift.on_duty(window.start_hour)]
        staying = set(on_shift[: window.staying])
        away[window] = frozenset(agent.id for agent in region if agent.id not in staying)
    return Absences(away)
