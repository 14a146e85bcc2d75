"""What the consumer's handlers count in the roll-ups, in-process on SQLite: first responses
once whatever the order, SLA results, the backlog's arrivals, each on its region's calendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard.feedback.adapters.rollup_store import read_slice
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Period, zone_for

from ..builders import (
    agent_replied,
    case_opened,
    case_reopened,
    case_resolved,
    new_id,
    sla_outcome,
)
from .conftest import SETTINGS, Feedback, totals


async def test_a_first_response_counts_once_whichever_event_comes_first(feedback, clock):
    opened_at = clock.now - timedelta(minutes=2)
    early, late = new_id("case"), new_id("case")
    await feedback.deliver(
        agent_replied(case_id=early, at=clock.now),
        case_opened(case_id=early, customer_id=new_id("cust"), at=opened_at),
    )
    await feedback.deliver(
        case_opened(case_id=late, customer_id=new_id("cust"), at=opened_at),
        agent_replied(case_id=late, at=clock.now),
    )
    await feedback.deliver(agent_replied(case_id=late, at=clock.now + timedelta(minutes=1)))

    total = await totals(feedback, agent_id="agent-1")
    assert (total.first_responses, total.first_response_ms_sum) == (2, 240_000)


async def test_sla_results_count_for_the_agent_and_the_team(feedback, clock):
    for achieved in (True, True, True, False):
        await feedback.deliver(sla_outcome(case_id=new_id("case"), at=clock.now, achieved=achieved))

    for facet in ({"team": "billing"}, {"agent_id": "agent-1"}, {}):
        total = await totals(feedback, **facet)
        assert (total.sla_achieved, total.sla_breached) == (3, 1), facet


async def test_arrivals_and_resolutions_move_the_backlog(feedback, clock):
    opened_at = clock.now - timedelta(hours=1)
    cases = [(new_id("case"), new_id("cust")) for _ in range(2)]
    for case_id, customer_id in cases:
        await feedback.deliver(
            case_opened(case_id=case_id, customer_id=customer_id, at=opened_at),
            case_resolved(
                case_id=case_id,
                customer_id=customer_id,
                opened_at=opened_at,
                at=clock.now,
                first_contact=case_id == cases[0][0],
            ),
        )
    case_id, customer_id = cases[1]
    await feedback.deliver(
        case_reopened(
            case_id=case_id,
            customer_id=customer_id,
            resolved_at=clock.now,
            at=clock.now + timedelta(minutes=1),
        )
    )

    total = await totals(feedback)
    assert (total.cases_opened, total.cases_reopened, total.resolutions) == (2, 1, 2)
    assert total.backlog_change == 1
    assert total.first_contact_resolutions == 1


async def on_local_day(feedback: Feedback, day: datetime) -> int:
    """SLA results achieved on the region's local ``day``."""
    zone = zone_for("nordics", SETTINGS["region_time_zones"])
    local = day.astimezone(zone).date()
    query = make_slice(
        region="nordics",
        agent_id=None,
        team=None,
        channel=None,
        period=Period.DAY,
        first=local,
        last=local,
        max_buckets=1,
    )
    async with feedback.service.sessions() as session:
        series, _ = await read_slice(session, query=query)
    return sum(counters.sla_achieved for counters in series.values())


async def test_an_event_counts_on_its_regions_calendar_day(feedback):
    late_evening = datetime(2026, 5, 4, 22, 30, tzinfo=UTC)  # 00:30 on 5 May in Copenhagen
    await feedback.deliver(sla_outcome(case_id=new_id("case"), at=late_evening, achieved=True))

    assert await on_local_day(feedback, late_evening) == 1
    assert await on_local_day(feedback, late_evening - timedelta(hours=1)) == 0
