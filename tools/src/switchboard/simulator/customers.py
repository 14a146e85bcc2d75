"""Customers: who they are on each channel, and how they answer a survey."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from switchboard.simulator.scenario import Region
from switchboard.simulator.texts import COMMENTS

MOBILE_PREFIXES = {"SE": "+4670", "DE": "+49151", "FR": "+3361", "PL": "+48501"}
"""Mobile ranges whose numbers are valid with 7 or 8 more digits (libphonenumber)."""
MOBILE_DIGITS = {"SE": 7, "DE": 8, "FR": 7, "PL": 6}
SURVEY_RESPONSE_RATE = 0.35


@dataclass
class Customer:
    key: str
    region: str
    language: str
    name: str
    email: str
    phone: str
    handle: str
    visitor_id: str
    vip: bool = False
    customer_id: str | None = None
    """Intake's id, once a contact of theirs was accepted."""
    contacts: int = 0
    last_email: list[str] = field(default_factory=list)
    """Message ids of their latest e-mail conversation, oldest first."""


def new_customer(rng: random.Random, *, region: Region, language: str, run_id: str) -> Customer:
    number = rng.randrange(10**6, 10**8)
    first = rng.choice(region.first_names)
    key = f"{run_id}{number:x}"
    ascii_first = first.encode("ascii", "ignore").decode().lower() or "kunde"
    digits = MOBILE_DIGITS[region.country]
    suffix = "".join(str(rng.randrange(10)) for _ in range(digits))
    return Customer(
        key=key,
        region=region.name,
        language=language,
        name=f"{first} {chr(65 + rng.randrange(26))}.",
        email=f"{ascii_first}.{key}@customers.example",
        phone=MOBILE_PREFIXES[region.country] + suffix,
        handle=f"{ascii_first}.{key}",
        visitor_id=f"visitor-{key}",
    )


@dataclass(frozen=True)
class SurveyAnswer:
    csat: int
    nps: int
    ces: int
    comment: str | None
    reasons: tuple[str, ...]

    def body(self) -> dict[str, object]:
        body: dict[str, object] = {"csat": self.csat, "nps": self.nps, "ces": self.ces}
        if self.comment:
            body["comment"] = self.comment
        if self.reasons:
            body["reasons"] = list(self.reasons)
        return body

    @property
    def detractor(self) -> bool:
        return self.nps <= 6


def will_answer(rng: random.Random, rate: float = SURVEY_RESPONSE_RATE) -> bool:
    return rng.random() < rate


def answer_survey(rng: random.Random, *, language: str, waited_too_long: bool) -> SurveyAnswer:
    """Mostly satisfied customers; one who waited past the target is much less so."""
    weights = (12, 12, 18, 30, 28) if waited_too_long else (3, 4, 10, 33, 50)
    csat = rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
    nps = min(10, max(0, {1: 1, 2: 3, 3: 6, 4: 8, 5: 9}[csat] + rng.randint(-1, 1)))
    ces = min(7, max(1, csat + 2 + rng.randint(-1, 0)))
    praise, complaint = COMMENTS.get(language, COMMENTS["en"])
    comment = None
    if rng.random() < 0.3:
        comment = complaint if csat <= 3 else praise
    reasons: tuple[str, ...] = ()
    if csat <= 3:
        reasons = (
            ("slow_response",)
            if waited_too_long
            else (rng.choice(("not_resolved", "unclear_answer", "passed_around")),)
        )
    return SurveyAnswer(csat, nps, ces, comment, reasons)
