from datetime import date

import pytest

from switchboard.feedback.domain.kpis import (
    Counters,
    answer_counters,
    case_opened_counters,
    resolution_counters,
)
from switchboard.feedback.domain.report import InvalidSlice, build_report, make_slice
from switchboard.feedback.domain.rollups import ALL_REGIONS, Facet, Period, Slice


def query(**overrides) -> Slice:
    arguments = {
        "region": "nordics",
        "agent_id": None,
        "team": None,
        "channel": None,
        "period": Period.MONTH,
        "first": date(2026, 1, 15),
        "last": date(2026, 3, 2),
        "max_buckets": 400,
    }
    return make_slice(**(arguments | overrides))


def test_a_slice_is_a_region_with_at_most_one_facet():
    assert query().facet is Facet.ALL
    assert (query(agent_id="a1").facet, query(agent_id="a1").facet_value) == (Facet.AGENT, "a1")
    assert query(team="billing").facet is Facet.TEAM
    assert query(channel="chat").facet is Facet.CHANNEL
    assert query(region=None).region == ALL_REGIONS


def test_a_slice_covers_every_period_touching_the_range():
    assert query().bucket_starts() == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    weeks = query(period=Period.WEEK, first=date(2026, 1, 1), last=date(2026, 1, 12))
    assert weeks.bucket_starts() == [date(2025, 12, 29), date(2026, 1, 5), date(2026, 1, 12)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"agent_id": "a1", "team": "billing"}, "at most one"),
        ({"first": date(2026, 4, 1)}, "from must not be after to"),
        ({"period": Period.DAY, "first": date(2020, 1, 1)}, "at most 400 days"),
        ({"period": Period.MONTH, "first": date(1, 1, 1)}, "between 1970-01-01 and 2199-12-31"),
        ({"period": Period.WEEK, "last": date(9999, 12, 31)}, "between"),
        ({"period": Period.MONTH, "max_buckets": 2}, "at most 2 months"),
    ],
)
def test_unanswerable_slices_say_why(overrides, message):
    with pytest.raises(InvalidSlice, match=message):
        query(**overrides)


def test_the_report_carries_the_backlog_forward_bucket_by_bucket():
    opened = case_opened_counters()
    resolved = resolution_counters(seconds=60, first_contact=True)
    series = {
        date(2026, 1, 1): opened + opened + opened,
        date(2026, 2, 1): resolved,
        date(2026, 3, 1): Counters(),
    }
    report = build_report(query(), series, open_before=5)
    assert [kpis.backlog for _, kpis in report.series] == [8, 7, 7]
    assert report.total.backlog == 7
    assert report.total.resolutions == 1


def test_agent_and_team_reports_have_no_backlog():
    series = {date(2026, 1, 1): answer_counters(csat=5, nps=None, ces=None)}
    report = build_report(query(agent_id="a1"), series, open_before=0)
    assert report.total.backlog is None
    assert report.total.csat_percent == 100.0
