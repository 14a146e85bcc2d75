"""KPIs read from roll-ups equal KPIs recomputed from the raw events, for any events."""

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.feedback.domain.kpis import (
    Counters,
    answer_counters,
    case_opened_counters,
    case_reopened_counters,
    compute_kpis,
    first_response_counters,
    resolution_counters,
    sla_counters,
    sum_counters,
    survey_requested_counters,
)
from switchboard.feedback.domain.rollups import (
    ALL_REGIONS,
    Facet,
    Measurement,
    Period,
    Slice,
    increments,
    keeps,
    local_day,
    period_start,
    zone_for,
)

from .rollups_in_memory import merge_into, read_series

ZONES = {"nordics": "Europe/Copenhagen", "apac": "Australia/Sydney", "americas": "America/Chicago"}
REGIONS = [*ZONES, "eu-west"]
CHANNELS = ["phone", "email", "chat", "social"]
AGENTS = ["a1", "a2", "a3"]
TEAMS = ["billing", "tech"]
START = datetime(2026, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class RawEvent:
    kind: str
    at: datetime
    region: str
    channel: str
    agent_id: str | None
    team: str | None
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    seconds: float = 0.0
    flag: bool = False


def counters_of(event: RawEvent) -> Counters:
    if event.kind == "answer":
        return answer_counters(csat=event.csat, nps=event.nps, ces=event.ces)
    if event.kind == "requested":
        return survey_requested_counters()
    if event.kind == "first_response":
        return first_response_counters(seconds=event.seconds)
    if event.kind == "resolved":
        return resolution_counters(seconds=event.seconds, first_contact=event.flag)
    if event.kind == "sla":
        return sla_counters(achieved=event.flag)
    if event.kind == "opened":
        return case_opened_counters()
    return case_reopened_counters()


def measurement_of(event: RawEvent) -> Measurement:
    return Measurement(
        at=event.at,
        region=event.region,
        channel=event.channel,
        agent_id=event.agent_id,
        team=event.team,
        counters=counters_of(event),
    )


raw_events = st.builds(
    RawEvent,
    kind=st.sampled_from(
        ["answer", "requested", "first_response", "resolved", "sla", "opened", "reopened"]
    ),
    at=st.integers(0, 400 * 24 * 3600).map(lambda s: START + timedelta(seconds=s)),
    region=st.sampled_from(REGIONS),
    channel=st.sampled_from(CHANNELS),
    agent_id=st.none() | st.sampled_from(AGENTS),
    team=st.none() | st.sampled_from(TEAMS),
    csat=st.none() | st.integers(1, 5),
    nps=st.none() | st.integers(0, 10),
    ces=st.none() | st.integers(1, 7),
    seconds=st.floats(0, 10 * 24 * 3600, allow_nan=False),
    flag=st.booleans(),
)


@st.composite
def slices(draw: st.DrawFn) -> Slice:
    facet = draw(st.sampled_from(list(Facet)))
    value = {
        Facet.ALL: st.just(""),
        Facet.CHANNEL: st.sampled_from(CHANNELS),
        Facet.AGENT: st.sampled_from(AGENTS),
        Facet.TEAM: st.sampled_from(TEAMS),
    }[facet]
    first = draw(st.dates(date(2025, 12, 1), date(2027, 2, 1)))
    length = draw(st.integers(0, 120))
    return Slice(
        region=draw(st.sampled_from([*REGIONS, ALL_REGIONS])),
        facet=facet,
        facet_value=draw(value),
        period=draw(st.sampled_from([p for p in Period if keeps(p, facet)])),
        first=first,
        last=first + timedelta(days=length),
    )


def raw_matches(event: RawEvent, query: Slice) -> bool:
    """Recompute membership straight from the event, without the roll-up keys."""
    if query.region not in (ALL_REGIONS, event.region):
        return False
    attribute = {
        Facet.ALL: "",
        Facet.CHANNEL: event.channel,
        Facet.AGENT: event.agent_id,
        Facet.TEAM: event.team,
    }[query.facet]
    if attribute != query.facet_value:
        return False
    day = local_day(event.at, zone_for(event.region, ZONES))
    bucket = period_start(day, query.period)
    return (
        period_start(query.first, query.period) <= bucket <= period_start(query.last, query.period)
    )


def build_store(events: list[RawEvent]) -> dict:
    store: dict = {}
    for event in events:
        zone = zone_for(event.region, ZONES)
        merge_into(store, increments(measurement_of(event), zone=zone).items())
    return store


@settings(max_examples=300, deadline=None)
@given(events=st.lists(raw_events, max_size=60), query=slices())
def test_kpis_from_rollups_equal_kpis_from_raw_events(events, query):
    store = build_store(events)

    from_rollups = sum_counters(list(read_series(store, query).values()))
    from_raw = sum_counters([counters_of(e) for e in events if raw_matches(e, query)])

    assert from_rollups == from_raw
    assert compute_kpis(from_rollups, open_before=0) == compute_kpis(from_raw, open_before=0)


@settings(max_examples=200, deadline=None)
@given(events=st.lists(raw_events, max_size=60), query=slices())
def test_every_period_adds_up_to_the_same_total_over_whole_months(events, query):
    """Days, ISO weeks and months are three cuts of the same counters."""
    store = build_store(events)
    first = query.first.replace(day=1)
    months = Slice(query.region, query.facet, query.facet_value, Period.MONTH, first, query.last)
    last = months.bucket_starts()[-1]
    end = (last.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    days = Slice(query.region, query.facet, query.facet_value, Period.DAY, first, end)

    month_total = sum_counters(list(read_series(store, months).values()))
    day_total = sum_counters(list(read_series(store, days).values()))

    assert month_total == day_total


@settings(max_examples=200, deadline=None)
@given(events=st.lists(raw_events, max_size=40))
def test_all_regions_is_the_sum_of_each_region(events):
    store = build_store(events)
    window = (date(2025, 12, 1), date(2027, 3, 1))

    def total(region: str) -> Counters:
        query = Slice(region, Facet.ALL, "", Period.MONTH, *window)
        return sum_counters(list(read_series(store, query).values()))

    assert total(ALL_REGIONS) == sum_counters([total(region) for region in REGIONS])
    assert total(ALL_REGIONS) == sum_counters([counters_of(e) for e in events])


@settings(max_examples=200, deadline=None)
@given(left=st.lists(raw_events, max_size=30), right=st.lists(raw_events, max_size=30))
def test_merging_two_stores_is_adding_their_counters(left, right):
    merged = build_store(left)
    merge_into(merged, build_store(right).items())

    assert merged == build_store(left + right)
