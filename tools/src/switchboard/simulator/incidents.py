"""Simulated days of contacts' texts with problems injected, and the ground truth.

Background traffic follows the demo world (regions, their shares and languages, the
ordinary messages of ``texts``). A cross-region incident is one problem from
``incident_texts`` in two or three regions at once, worded differently in each language
(at least three languages); a local incident is the same in one region only, which must
not become a cross-region problem. Within a day each incident is a different problem
(the same one back within hours is, to the detector, the same problem still going on).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from switchboard.simulator.incident_texts import INCIDENTS
from switchboard.simulator.scenario import DAY_END_HOUR, DAY_START_HOUR, REGIONS, Region
from switchboard.simulator.texts import MESSAGES

INCIDENT_REGIONS = ("nordics", "france", "poland")
"""The regions whose languages every incident text covers (German has none)."""


@dataclass(frozen=True)
class Incident:
    incident_id: str
    kind: str
    regions: tuple[str, ...]
    onset: datetime
    end: datetime
    per_minute: float
    """Extra contacts about it, per region and minute."""

    @property
    def cross_region(self) -> bool:
        return len(self.regions) >= 2


@dataclass(frozen=True)
class SimulatedContact:
    contact_id: str
    at: datetime
    region: str
    language: str
    text: str
    incident_id: str | None = None


def _language(rng: random.Random, region: Region, allowed: frozenset[str] | None = None) -> str:
    shares = {lang: s for lang, s in region.languages.items() if allowed is None or lang in allowed}
    return rng.choices(list(shares), weights=list(shares.values()))[0]


def plan_incidents(
    rng: random.Random, *, days: int, start: datetime, cross_per_day: int, local_per_day: int
) -> list[Incident]:
    incidents: list[Incident] = []
    for day in range(days):
        morning = start + timedelta(days=day, hours=DAY_START_HOUR)
        kinds = rng.sample(sorted(INCIDENTS), min(len(INCIDENTS), cross_per_day + local_per_day))
        for number in range(cross_per_day + local_per_day):
            cross = number < cross_per_day
            size = rng.choice((2, 3)) if cross else 1
            regions = tuple(sorted(rng.sample(INCIDENT_REGIONS, size)))
            if cross and "nordics" not in regions and size == 2:
                regions = tuple(sorted((*regions, "nordics")))  # three languages or more
            onset = morning + timedelta(
                minutes=rng.uniform(75, (DAY_END_HOUR - DAY_START_HOUR) * 60 - 60)
            )
            incidents.append(
                Incident(
                    incident_id=f"d{day}-{number}",
                    kind=kinds[number % len(kinds)],
                    regions=regions,
                    onset=onset,
                    end=onset + timedelta(minutes=rng.uniform(30, 90)),
                    per_minute=rng.uniform(0.6, 2.0),
                )
            )
    return sorted(incidents, key=lambda i: i.onset)


def traffic(
    rng: random.Random,
    *,
    days: int,
    start: datetime,
    contacts_per_day: int,
    incidents: list[Incident],
) -> Iterator[SimulatedContact]:
    """Every contact of the days in time order: the background and the incidents'."""
    contacts: list[SimulatedContact] = []
    minutes = (DAY_END_HOUR - DAY_START_HOUR) * 60
    by_name = {region.name: region for region in REGIONS}
    for day in range(days):
        morning = start + timedelta(days=day, hours=DAY_START_HOUR)
        for number in range(contacts_per_day):
            region = rng.choices(REGIONS, weights=[r.share for r in REGIONS])[0]
            language = _language(rng, region)
            subject, body = rng.choice(MESSAGES[language])
            contacts.append(
                SimulatedContact(
                    contact_id=f"bg-{day}-{number}",
                    at=morning + timedelta(minutes=rng.uniform(0, minutes)),
                    region=region.name,
                    language=language,
                    text=f"{subject}. {body}",
                )
            )
    for incident in incidents:
        texts = INCIDENTS[incident.kind]
        for name in incident.regions:
            at, number = incident.onset, 0
            while True:
                at += timedelta(minutes=rng.expovariate(incident.per_minute))
                if at >= incident.end:
                    break
                language = _language(rng, by_name[name], frozenset(texts))
                contacts.append(
                    SimulatedContact(
                        contact_id=f"{incident.incident_id}-{name}-{number}",
                        at=at,
                        region=name,
                        language=language,
                        text=rng.choice(texts[language]),
                        incident_id=incident.incident_id,
                    )
                )
                number += 1
    yield from sorted(contacts, key=lambda c: c.at)
