"""A day-like stream of contacts as prepared, signed requests: the demo world's four
regions and their languages, all four channels, Poisson arrivals whose rate swells to a
peak and falls to a trough within each phase (queues form at the peak), some returning
customers.

Shared by the end-to-end benchmarks (each runs as a script, so this directory is on
``sys.path``).
"""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from load import Request, http_request

from switchboard.simulator.channels import (
    SUPPORT_NUMBERS,
    Adapter,
    chat_contact,
    email_contact,
    encode,
    phone_contact,
    signed_headers,
    social_contact,
)
from switchboard.simulator.customers import Customer, new_customer
from switchboard.simulator.scenario import REGIONS, Region
from switchboard.simulator.texts import MESSAGES

CHANNEL_SHARES = {"chat": 0.40, "email": 0.25, "phone": 0.20, "social": 0.15}
RETURNING_SHARE = 0.10
PEAK_SWING = 0.4
"""The rate swings between (1 - swing) and (1 + swing) times the average in a phase."""


@dataclass(frozen=True)
class Contact:
    """What a prepared request is: its tag is ``channel:region``."""

    channel: str
    region: str


def arrival_times(rate: float, seconds: float, start: float, rng: random.Random) -> list[float]:
    """A non-homogeneous Poisson process by thinning: the rate rises to a peak in the first
    half of the phase and falls to a trough in the second; its average is ``rate``."""
    top = rate * (1 + PEAK_SWING)
    times, at = [], 0.0
    while True:
        at += rng.expovariate(top)
        if at >= seconds:
            return times
        current = rate * (1 + PEAK_SWING * math.sin(2 * math.pi * at / seconds))
        if rng.random() < current / top:
            times.append(start + at)


class DayTraffic:
    def __init__(self, base_url: str, adapters: dict[tuple[str, str], Adapter], seed: int) -> None:
        self.base_url = base_url.rstrip("/")
        self.adapters = adapters
        """(channel, region name) → the adapter that posts it."""
        self.rng = random.Random(seed)
        self.customers: list[Customer] = []
        self.run_id = uuid.uuid4().hex[:6]

    def phase(self, rate: float, seconds: float, start: float) -> list[Request]:
        return [self.contact(due) for due in arrival_times(rate, seconds, start, self.rng)]

    def contact(self, due: float) -> Request:
        region = REGIONS[self._weighted({i: r.share for i, r in enumerate(REGIONS)})]
        channel = self._weighted(CHANNEL_SHARES)
        customer = self._customer(region)
        subject, text = self.rng.choice(MESSAGES[customer.language])
        at = datetime.fromtimestamp(due, UTC)
        adapter = self.adapters[(channel, region.name)]
        if channel == "chat":
            payload = chat_contact(customer, message=text, at=at)
        elif channel == "email":
            payload = email_contact(customer, region=region.name, subject=subject, body=text, at=at)
        elif channel == "phone":
            country = region.country if region.country in SUPPORT_NUMBERS else "SE"
            payload = phone_contact(customer, country=country, transcript=text, at=at)
        else:
            payload = social_contact(customer, text=text, at=at, public=self.rng.random() < 0.3)
        body = encode(payload)
        headers = signed_headers(adapter.secret, body, at=at)
        data = http_request("POST", f"{self.base_url}{adapter.path}", body, headers)
        return Request(data=data, due=due, tag=f"{channel}:{region.name}")

    def _customer(self, region: Region) -> Customer:
        if self.customers and self.rng.random() < RETURNING_SHARE:
            known = [c for c in self.customers[-500:] if c.region == region.name]
            if known:
                return self.rng.choice(known)
        language = self._weighted(dict(region.languages))
        customer = new_customer(self.rng, region=region, language=language, run_id=self.run_id)
        self.customers.append(customer)
        return customer

    def _weighted(self, shares: dict[object, float]) -> object:
        pick, total = self.rng.random() * sum(shares.values()), 0.0
        for choice, share in shares.items():
            total += share
            if pick < total:
                return choice
        return next(reversed(list(shares)))
