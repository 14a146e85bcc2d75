"""Feedback in this process on an SQLite file, without a broker: the consumer's handler
table, the timer handlers and the app, on a clock the test turns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from switchboard.feedback.adapters.rollup_store import read_slice
from switchboard.feedback.bootstrap import DEFINITION
from switchboard.feedback.domain.kpis import Counters, sum_counters
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Period
from switchboard.feedback.service_layer.unit_of_work import FeedbackDeps
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.testing.in_process import InProcessService

from ..builders import agent_replied, case_opened, case_resolved, new_id

SURVEY_DELAY = timedelta(seconds=60)
SETTINGS: dict[str, Any] = {
    "survey_delay_seconds": SURVEY_DELAY.total_seconds(),
    "region_time_zones": {"nordics": "Europe/Copenhagen"},
    "public_base_url": "https://feedback.example",
}
START = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def turn(self, by: timedelta) -> datetime:
        self.now += by
        return self.now


Feedback = InProcessService[FeedbackSettings, FeedbackDeps]


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
async def feedback(tmp_path, clock: Clock) -> AsyncIterator[Feedback]:
    deps = FeedbackDeps(settings=FeedbackSettings.load(**SETTINGS), clock=clock)
    service = await InProcessService.start(DEFINITION, tmp_path, deps=deps, **SETTINGS)
    yield service
    await service.close()


async def totals(
    feedback: Feedback,
    *,
    region: str = "nordics",
    agent_id: str | None = None,
    team: str | None = None,
    around: date = START.date(),
) -> Counters:
    """The roll-up counters of a region (or one of its agents or teams) over the days
    around ``around``, read as the KPI route reads them."""
    query = make_slice(
        region=region,
        agent_id=agent_id,
        team=team,
        channel=None,
        period=Period.DAY,
        first=around - timedelta(days=1),
        last=around + timedelta(days=1),
        max_buckets=10,
    )
    async with feedback.service.sessions() as session:
        series, _ = await read_slice(session, query=query)
    return sum_counters(list(series.values()))


async def resolve(
    feedback: Feedback, clock: Clock, *, language: str = "en", customer_id: str | None = None
) -> tuple[str, str]:
    """A case opened ten minutes ago, first answered after five, resolved now."""
    case_id, customer_id = new_id("case"), customer_id or new_id("cust")
    opened_at = clock.now - timedelta(minutes=10)
    await feedback.deliver(
        case_opened(case_id=case_id, customer_id=customer_id, at=opened_at, language=language),
        agent_replied(case_id=case_id, at=opened_at + timedelta(minutes=5)),
        case_resolved(
            case_id=case_id,
            customer_id=customer_id,
            opened_at=opened_at,
            at=clock.now,
            language=language,
        ),
    )
    return case_id, customer_id
