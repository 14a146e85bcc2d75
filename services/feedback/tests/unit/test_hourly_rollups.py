"""Hour buckets: local hours with their UTC offset, clock changes, limits, all regions."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.feedback.domain.kpis import (
    Counters,
    answer_counters,
    case_opened_counters,
    sla_counters,
    sum_counters,
)
from switchboard.feedback.domain.report import InvalidSlice, build_report, make_slice
from switchboard.feedback.domain.rollups import (
    ALL_REGIONS,
    Facet,
    Measurement,
    Period,
    RollupKey,
    Slice,
    increments,
    local_hour,
    zone_for,
)

from .rollups_in_memory import merge_into, read_series

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ZONES = {"nordics": "Europe/Copenhagen", "india": "Asia/Kolkata", "americas": "America/Chicago"}


def measured(at: datetime, region: str = "nordics", counters: Counters | None = None):
    return Measurement(
        at=at,
        region=region,
        channel="chat",
        agent_id="a1",
        team="billing",
        counters=counters or answer_counters(csat=5, nps=None, ces=None),
    )


def hour_slice(region: str, first: date, last: date | None = None) -> Slice:
    return Slice(region, Facet.ALL, "", Period.HOUR, first, last or first, zone_for(region, ZONES))


def test_a_measurement_adds_one_hour_row_per_region_for_the_whole_region_only():
    at = datetime(2026, 5, 4, 8, 20, tzinfo=UTC)  # 10:20 in Copenhagen
    keys = increments(measured(at), zone=COPENHAGEN)

    hourly = sorted(key for key in keys if key.period is Period.HOUR)

    assert hourly == [
        RollupKey(Period.HOUR, date(2026, 5, 4), ALL_REGIONS, Facet.ALL, "", 10),
        RollupKey(Period.HOUR, date(2026, 5, 4), "nordics", Facet.ALL, "", 10),
    ]
    assert all(key.hour == 0 for key in keys if key.period is not Period.HOUR)


def test_hour_buckets_start_on_local_hours_with_the_regions_offset():
    starts = hour_slice("nordics", date(2026, 5, 4)).bucket_starts()

    assert len(starts) == 24
    assert starts[0].isoformat() == "2026-05-04T00:00:00+02:00"
    assert starts[10].isoformat() == "2026-05-04T10:00:00+02:00"
    india = hour_slice("india", date(2026, 5, 4)).bucket_starts()
    assert india[1].isoformat() == "2026-05-04T01:00:00+05:30"
    assert hour_slice(ALL_REGIONS, date(2026, 5, 4)).bucket_starts()[23].isoformat() == (
        "2026-05-04T23:00:00+00:00"
    )


def test_a_spring_forward_day_has_23_hours_and_a_fall_back_day_25():
    spring = hour_slice("nordics", date(2026, 3, 29)).bucket_starts()
    autumn = hour_slice("nordics", date(2026, 10, 25)).bucket_starts()

    assert len(spring) == 23
    assert [s.isoformat()[11:] for s in spring[1:3]] == ["01:00:00+01:00", "03:00:00+02:00"]
    assert len(autumn) == 25
    assert [s.isoformat()[11:] for s in autumn[2:4]] == ["02:00:00+02:00", "02:00:00+01:00"]
    first_half_past_two = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second_half_past_two = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert local_hour(first_half_past_two, COPENHAGEN) == (date(2026, 10, 25), 2)
    assert local_hour(second_half_past_two, COPENHAGEN) == (date(2026, 10, 25), 3)


def test_an_answer_and_an_sla_result_land_in_their_local_hour():
    store: dict = {}
    answer = measured(datetime(2026, 5, 4, 7, 59, tzinfo=UTC))  # 09:59 local
    sla = measured(datetime(2026, 5, 4, 8, 0, tzinfo=UTC), counters=sla_counters(achieved=True))
    for measurement in (answer, sla):
        merge_into(store, increments(measurement, zone=COPENHAGEN).items())

    series = read_series(store, hour_slice("nordics", date(2026, 5, 4)))

    by_hour = {start.hour: c for start, c in series.items() if c != Counters()}
    assert set(by_hour) == {9, 10}
    assert (by_hour[9].csat_answers, by_hour[9].sla_achieved) == (1, 0)
    assert (by_hour[10].csat_answers, by_hour[10].sla_achieved) == (0, 1)


def test_the_all_regions_series_counts_a_25th_hour_in_its_days_last_hour():
    store: dict = {}
    late = datetime(2026, 10, 25, 22, 30, tzinfo=UTC)  # 23:30 local, the day's 25th hour
    merge_into(store, increments(measured(late), zone=COPENHAGEN).items())

    everywhere = read_series(store, hour_slice(ALL_REGIONS, date(2026, 10, 25)))
    nordics = read_series(store, hour_slice("nordics", date(2026, 10, 25)))

    assert [s.hour for s, c in everywhere.items() if c != Counters()] == [23]
    assert [s.isoformat() for s, c in nordics.items() if c != Counters()] == [
        "2026-10-25T23:00:00+01:00"
    ]


@settings(max_examples=80, deadline=None)
@given(
    seconds=st.lists(st.integers(0, 40 * 24 * 3600), max_size=40),
    regions=st.lists(st.sampled_from([*ZONES, "eu-west"]), min_size=40, max_size=40),
)
def test_hours_add_up_to_their_day_and_all_regions_to_the_regions(seconds, regions):
    start = datetime(2026, 3, 1, tzinfo=UTC)  # covers the spring clock changes
    store: dict = {}
    for offset, region in zip(seconds, regions, strict=False):
        measurement = measured(start + timedelta(seconds=offset), region, case_opened_counters())
        merge_into(store, increments(measurement, zone=zone_for(region, ZONES)).items())

    hour_rows = {key: c for key, c in store.items() if key.period is Period.HOUR}
    for key, counters in hour_rows.items():
        if key.region == ALL_REGIONS:
            regions_rows = [
                c
                for k, c in hour_rows.items()
                if k.region != ALL_REGIONS and (k.bucket, k.hour) == (key.bucket, key.hour)
            ]
            assert counters == sum_counters(regions_rows)
    for region in [*ZONES, "eu-west", ALL_REGIONS]:
        first, last = date(2026, 3, 1), date(2026, 4, 10)
        hours = read_series(store, hour_slice(region, first, last))
        days = read_series(store, Slice(region, Facet.ALL, "", Period.DAY, first, last))
        for day, day_counters in days.items():
            in_day = [c for s, c in hours.items() if s.date() == day]
            assert sum_counters(in_day) == day_counters


def test_hour_slices_are_limited_to_seven_days_and_the_bucket_limit():
    def hours(**overrides) -> Slice:
        arguments = {
            "region": "nordics",
            "agent_id": None,
            "team": None,
            "channel": None,
            "period": Period.HOUR,
            "first": date(2026, 5, 1),
            "last": date(2026, 5, 7),
            "max_buckets": 400,
            "zone": COPENHAGEN,
        }
        return make_slice(**(arguments | overrides))

    assert len(hours().bucket_starts()) == 7 * 24
    with pytest.raises(InvalidSlice, match="at most 7 days"):
        hours(last=date(2026, 5, 8))
    with pytest.raises(InvalidSlice, match="at most 48 hours"):
        hours(max_buckets=48, last=date(2026, 5, 3))
    with pytest.raises(InvalidSlice, match="per region only"):
        hours(agent_id="a1")
    with pytest.raises(InvalidSlice, match="per region only"):
        hours(channel="chat")


def test_an_hour_report_runs_the_backlog_from_the_opening():
    query = hour_slice("nordics", date(2026, 5, 4))
    opened = {start: Counters() for start in query.bucket_starts()}
    nine = query.bucket_starts()[9]
    opened[nine] = case_opened_counters()

    report = build_report(query, opened, open_before=3)

    backlog = [kpis.backlog for _, kpis in report.series]
    assert backlog == [3] * 9 + [4] * 15
    assert report.total.backlog == 4
