"""What a customer agreed to be contacted for, per purpose: an append-only history of
changes (granted or withdrawn, when, by whom, from which source), the current state being
the latest change of each purpose.

Latest means the time the customer expressed it, not when it was recorded (an import may
record old answers); on a tie a withdrawal wins, so that a withdrawal is never lost.

An answer may be recorded after the fact, but not ahead of time."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

CLOCK_SKEW = timedelta(minutes=5)


class InvalidConsent(ValueError):
    pass


class Purpose(StrEnum):
    SURVEYS = "surveys"
    """Satisfaction surveys after a case is resolved."""
    MARKETING = "marketing"


class ConsentState(StrEnum):
    GRANTED = "granted"
    WITHDRAWN = "withdrawn"


class ConsentSource(StrEnum):
    """How the customer expressed it."""

    AGENT = "agent"
    """Told an agent or coordinator, who recorded it."""
    CUSTOMER = "customer"
    """The customer's own action (a preference page, an unsubscribe link)."""
    IMPORT = "import"
    """Brought over from another system."""


@dataclass(frozen=True)
class ConsentChange:
    purpose: Purpose
    state: ConsentState
    at: datetime
    """When the customer expressed it."""
    recorded_at: datetime
    by: str
    """Who recorded it (``role:subject``)."""
    source: ConsentSource
    note: str | None = None

    def __post_init__(self) -> None:
        if self.at > self.recorded_at + CLOCK_SKEW:
            raise InvalidConsent("a consent cannot be given or withdrawn in the future")

    def supersedes(self, other: ConsentChange) -> bool:
        """Expressed later, or as late and a withdrawal, or else recorded later."""
        return self._rank() > other._rank()

    def _rank(self) -> tuple[datetime, bool, datetime]:
        return self.at, self.state is ConsentState.WITHDRAWN, self.recorded_at


@dataclass(frozen=True)
class Consents:
    """The current state of each purpose that has a recorded change."""

    current: Mapping[Purpose, ConsentChange]

    @classmethod
    def from_history(cls, changes: Iterable[ConsentChange]) -> Consents:
        current: dict[Purpose, ConsentChange] = {}
        for change in changes:
            known = current.get(change.purpose)
            if known is None or change.supersedes(known):
                current[change.purpose] = change
        return cls(current)

    def by_purpose(self) -> dict[Purpose, ConsentChange | None]:
        """Every purpose, None where nothing was recorded."""
        return {purpose: self.current.get(purpose) for purpose in Purpose}

    def withdrawn(self, purpose: Purpose) -> bool:
        """Only an explicit withdrawal refuses a purpose; none recorded is not a refusal."""
        change = self.current.get(purpose)
        return change is not None and change.state is ConsentState.WITHDRAWN
