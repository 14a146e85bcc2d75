"""A problem shared by regions, once detected: each touched region's coordinators
acknowledge it for their region, and any of them can leave notes (how to answer customers
about it) that every touched region's coordinators see. Each transition returns a new value;
acknowledging a region twice is refused, and nobody outside the touched regions acts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime


class ProblemError(ValueError):
    """A transition the problem does not allow."""


@dataclass(frozen=True)
class Acknowledgement:
    by: str
    at: datetime


@dataclass(frozen=True)
class Problem:
    problem_id: str
    regions: frozenset[str]
    acknowledgements: Mapping[str, Acknowledgement] = field(default_factory=dict)

    def touches(self, region: str) -> bool:
        return region in self.regions

    def acknowledge(self, *, region: str, by: str, at: datetime) -> Problem:
        if not self.touches(region):
            raise ProblemError(f"problem {self.problem_id} does not touch region {region!r}")
        if region in self.acknowledgements:
            raise ProblemError(f"problem {self.problem_id} is acknowledged in {region!r} already")
        return replace(
            self, acknowledgements={**self.acknowledgements, region: Acknowledgement(by, at)}
        )

    def note_region(self, regions: frozenset[str] | None) -> str:
        """The touched region a note is written for: the first the writer covers (an
        admin, ``None``, writes for the first touched region)."""
        candidates = sorted(self.regions if regions is None else self.regions & regions)
        if not candidates:
            raise ProblemError(f"problem {self.problem_id} touches none of the writer's regions")
        return candidates[0]
