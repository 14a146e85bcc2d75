"""The demo world: regions and their languages, agents with skills and shifts.

It matches deploy/demo (calendars, coordinators, routing policies). Region codes may carry
a suffix so that tests on a shared platform get regions of their own.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

DAY_START_HOUR = 8.0
DAY_END_HOUR = 18.0


@dataclass(frozen=True)
class Region:
    name: str
    country: str
    """Where its customers' phone numbers are dialled from (ISO 3166)."""
    languages: Mapping[str, float]
    """The languages its contacts arrive in, with their shares."""
    share: float
    """Its share of all contacts."""
    coordinator: str
    first_names: tuple[str, ...]


REGIONS: tuple[Region, ...] = (
    Region(
        "nordics",
        "SE",
        {"da": 0.3, "sv": 0.3, "nb": 0.2, "fi": 0.12, "en": 0.08},
        0.3,
        "nils",
        ("Mette", "Lars", "Ingrid", "Oskar", "Aino", "Sofie", "Erik"),
    ),
    Region(
        "dach",
        "DE",
        {"de": 0.9, "en": 0.1},
        0.25,
        "greta",
        ("Lukas", "Anna", "Jonas", "Lea", "Felix", "Marie"),
    ),
    Region(
        "france",
        "FR",
        {"fr": 0.9, "en": 0.1},
        0.25,
        "camille",
        ("Louis", "Chloé", "Hugo", "Manon", "Jules", "Inès"),
    ),
    Region(
        "poland",
        "PL",
        {"pl": 0.9, "en": 0.1},
        0.2,
        "zofia",
        ("Jakub", "Zuzanna", "Kacper", "Julia", "Antoni", "Maja"),
    ),
)
REGION_NAMES = tuple(region.name for region in REGIONS)
SPOKEN: dict[str, tuple[str, ...]] = {
    "nordics": ("da", "sv", "nb", "en"),
    "dach": ("de", "en"),
    "france": ("fr", "en"),
    "poland": ("pl", "en"),
}
CONTACTS_PER_AGENT = 45
"""Contacts in a day that one agent of a well-staffed region handles."""
PEAK_BREAK = (9.5, 11.5)
"""When an understaffed region's agents go on break: the morning peak."""


@dataclass(frozen=True)
class Shift:
    start_hour: float
    end_hour: float
    breaks: tuple[tuple[float, float], ...] = ()

    def on_duty(self, hour: float) -> bool:
        in_shift = self.start_hour <= hour < self.end_hour
        return in_shift and not any(start <= hour < end for start, end in self.breaks)


@dataclass(frozen=True)
class AgentSpec:
    id: str
    region: str
    """The region's code on the platform."""
    team: str
    languages: tuple[str, ...]
    skills: Mapping[str, int]
    capacity: Mapping[str, int]
    shift: Shift

    def profile(self) -> dict[str, object]:
        """The body of routing's ``PUT /v1/agents/{id}``."""
        return {
            "region": self.region,
            "team": self.team,
            "skills": dict(self.skills),
            "languages": list(self.languages),
            "capacity": dict(self.capacity),
        }


@dataclass(frozen=True)
class World:
    run_id: str
    regions: tuple[Region, ...]
    codes: Mapping[str, str]
    """Region name → its code on the platform."""
    agents: tuple[AgentSpec, ...]
    understaffed: frozenset[str] = field(default_factory=frozenset)

    def code(self, region: str) -> str:
        return self.codes[region]

    def region(self, name: str) -> Region:
        return next(region for region in self.regions if region.name == name)


FULL = {"phone": 1, "chat": 3, "email": 5, "social": 3}
THIN = {"phone": 1, "chat": 2, "email": 2, "social": 1}


def build_world(
    *,
    run_id: str,
    contacts: int,
    understaffed: frozenset[str],
    codes: Mapping[str, str] | None = None,
) -> World:
    """Agents sized to each region's load; an understaffed region gets a third of them, on
    thin capacity, and they all take their break at the morning peak."""
    codes = {name: (codes or {}).get(name, name) for name in REGION_NAMES}
    agents = [
        agent
        for region in REGIONS
        for agent in _region_agents(
            region, run_id, codes[region.name], contacts, region.name in understaffed
        )
    ]
    return World(run_id, REGIONS, codes, tuple(agents), frozenset(understaffed))


def _region_agents(
    region: Region, run_id: str, code: str, contacts: int, short: bool
) -> list[AgentSpec]:
    staffed = max(2, math.ceil(region.share * contacts / CONTACTS_PER_AGENT))
    count = max(1, staffed // 3) if short else staffed
    agents = []
    for index in range(count):
        early = index % 2 == 0
        if short:
            shift = Shift(DAY_START_HOUR, DAY_END_HOUR, (PEAK_BREAK,))
        else:
            shift = Shift(8.0, 16.0) if early else Shift(10.0, DAY_END_HOUR)
        languages = list(SPOKEN[region.name])
        if region.name == "nordics" and index < 2:
            languages.append("fi")
        if region.name == "france" and index == 0:
            languages.append("de")
        agents.append(
            AgentSpec(
                id=f"{_ascii(region.first_names[index % len(region.first_names)])}"
                f"-{region.name}-{index + 1}-{run_id}",
                region=code,
                team=f"{region.name}-{'early' if early else 'late'}",
                languages=tuple(languages),
                skills={"support": 6 + index % 4, "billing": 7 if index % 3 == 0 else 3},
                capacity=THIN if short else FULL,
                shift=shift,
            )
        )
    return agents


def _ascii(name: str) -> str:
    return unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
