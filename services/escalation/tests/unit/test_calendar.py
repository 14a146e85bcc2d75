from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.escalation.domain.calendar import (
    BusinessCalendar,
    CalendarError,
    OpeningSpan,
    WeeklyHours,
)

from .calendar_queries import is_open, next_open

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
ZONES = (
    "Europe/Copenhagen",
    "Europe/Helsinki",
    "Europe/London",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "UTC",
    "Pacific/Auckland",
    "Europe/Warsaw",
)
COUNTRIES = (None, "DK", "FI", "FR", "PL", "NO", "SE", "DE", "US", "AU")
HOUR = 3600


def office_hours(closed_dates: frozenset[date] = frozenset()) -> BusinessCalendar:
    weekday = ["08:00-12:00", "12:30-16:30"]
    return BusinessCalendar(
        timezone="Europe/Copenhagen",
        weekly_hours=WeeklyHours.parse(
            {day: weekday for day in ("mon", "tue", "wed", "thu")} | {"fri": ["08:00-15:00"]}
        ),
        country="DK",
        closed_dates=closed_dates,
    )


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=COPENHAGEN)


def test_business_time_skips_the_lunch_break():
    calendar = office_hours()
    assert calendar.add_business_time(local(2026, 11, 24, 11, 0), 2 * HOUR) == local(
        2026, 11, 24, 13, 30
    )


def test_friday_afternoon_rolls_over_the_weekend():
    calendar = office_hours()
    deadline = calendar.add_business_time(local(2026, 11, 27, 14, 0), 2 * HOUR)
    assert deadline == local(2026, 11, 30, 9, 0)


def test_christmas_holidays_and_new_year_are_closed():
    calendar = office_hours(closed_dates=frozenset({date(2026, 12, 24), date(2026, 12, 31)}))
    deadline = calendar.add_business_time(local(2026, 12, 23, 16, 0), HOUR)
    # 24 Dec is closed by the company, 25 Dec a Danish holiday, 26-27 the weekend.
    assert deadline == local(2026, 12, 28, 8, 30)
    # 31 Dec closed by the company, 1 Jan a Danish holiday, 2-3 Jan the weekend.
    assert next_open(calendar, local(2026, 12, 30, 17, 0)) == local(2027, 1, 4, 8, 0)


def test_without_custom_closed_dates_christmas_eve_is_a_working_day_in_denmark():
    assert next_open(office_hours(), local(2026, 12, 23, 17, 0)) == local(2026, 12, 24, 8, 0)


def test_subdivision_holidays_apply():
    bavaria = BusinessCalendar(
        timezone="Europe/Berlin",
        weekly_hours=WeeklyHours.parse({"sat": ["09:00-17:00"], "mon": ["09:00-17:00"]}),
        country="DE",
        subdivision="BY",
    )
    # All Saints' Day, 1 Nov, is a holiday in Bavaria only.
    assert not bavaria.open_intervals_on(date(2025, 11, 1))
    assert bavaria.open_intervals_on(date(2025, 11, 8))


def test_spring_forward_day_has_one_hour_less():
    calendar = BusinessCalendar("Europe/Copenhagen", WeeklyHours.around_the_clock())
    day = calendar.business_time_between(local(2026, 3, 29, 0, 0), local(2026, 3, 30, 0, 0))
    assert day == timedelta(hours=23)


def test_fall_back_day_has_one_hour_more():
    calendar = BusinessCalendar("Europe/Copenhagen", WeeklyHours.around_the_clock())
    day = calendar.business_time_between(local(2026, 10, 25, 0, 0), local(2026, 10, 26, 0, 0))
    assert day == timedelta(hours=25)


def test_a_span_opening_inside_the_dst_gap_opens_at_the_transition():
    calendar = BusinessCalendar("Europe/Copenhagen", WeeklyHours.parse({"sun": ["02:30-04:00"]}))
    ((opens, closes),) = calendar.open_intervals_on(date(2026, 3, 29))
    assert opens == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert closes == datetime(2026, 3, 29, 2, 0, tzinfo=UTC)


def test_business_time_between_counts_only_open_time():
    calendar = office_hours()
    week = calendar.business_time_between(local(2026, 11, 23, 0, 0), local(2026, 11, 30, 0, 0))
    assert week.total_seconds() == (4 * 8 + 7) * HOUR
    backwards = calendar.business_time_between(local(2026, 11, 30), local(2026, 11, 23))
    assert backwards.total_seconds() == 0


def test_a_year_long_target_is_fast():
    calendar = office_hours()
    start = local(2026, 1, 1)
    deadline = calendar.add_business_time(start, 2000 * HOUR)
    assert calendar.business_time_between(start, deadline).total_seconds() == 2000 * HOUR


@pytest.mark.parametrize(
    ("spans", "message"),
    [
        ({"mon": ["09:00-08:00"]}, "opening span"),
        ({"xyz": ["09:00-10:00"]}, "weekday"),
        ({}, "no open time"),
        ({"mon": ["25:00-26:00"]}, "HH:MM-HH:MM"),
        ({"mon": ["\u0660\u0668:00-10:00"]}, "HH:MM-HH:MM"),
        ({"mon": ["24:30-24:40"]}, "HH:MM-HH:MM"),
    ],
)
def test_broken_weekly_hours_are_refused(spans, message):
    with pytest.raises(CalendarError, match=message):
        WeeklyHours.parse(spans)


def test_unknown_zone_or_country_is_refused():
    with pytest.raises(CalendarError):
        BusinessCalendar("Mars/Olympus", WeeklyHours.around_the_clock())
    with pytest.raises(CalendarError):
        BusinessCalendar("UTC", WeeklyHours.around_the_clock(), country="XX")


def test_naive_instants_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        next_open(office_hours(), datetime(2026, 1, 1))


# --- property tests -------------------------------------------------------------------


@st.composite
def opening_spans(draw, *, boundaries=st.integers(0, 96)) -> list[OpeningSpan]:
    quarter_hours = sorted(draw(st.sets(boundaries, min_size=2, max_size=6)))
    pairs = list(zip(quarter_hours[::2], quarter_hours[1::2], strict=False))
    return [OpeningSpan(opens * 900, closes * 900) for opens, closes in pairs]


@st.composite
def calendars(draw, *, boundaries=st.integers(0, 96), zones=ZONES) -> BusinessCalendar:
    spans = {
        day: draw(opening_spans(boundaries=boundaries))
        for day in draw(st.sets(st.integers(0, 6), min_size=1))
    }
    closed = draw(st.frozensets(st.dates(date(2025, 10, 1), date(2028, 4, 1)), max_size=20))
    return BusinessCalendar(
        timezone=draw(st.sampled_from(zones)),
        weekly_hours=WeeklyHours.from_spans(spans),
        country=draw(st.sampled_from(COUNTRIES)),
        closed_dates=closed,
    )


TRICKY_INSTANTS = [
    datetime(2026, 3, 29, 0, 30, tzinfo=UTC),  # Europe springs forward
    datetime(2026, 10, 25, 0, 30, tzinfo=UTC),  # Europe falls back
    datetime(2026, 3, 8, 6, 0, tzinfo=UTC),  # New York springs forward
    datetime(2026, 11, 1, 5, 0, tzinfo=UTC),  # New York falls back
    datetime(2026, 4, 4, 15, 0, tzinfo=UTC),  # Sydney falls back
    datetime(2026, 12, 31, 22, 0, tzinfo=UTC),  # New Year
]
instants = st.one_of(
    st.sampled_from(TRICKY_INSTANTS),
    st.builds(
        lambda base, offset: base + timedelta(seconds=offset),
        st.sampled_from(TRICKY_INSTANTS),
        st.integers(-3 * 24 * HOUR, 3 * 24 * HOUR),
    ),
    st.datetimes(datetime(2025, 12, 1), datetime(2027, 2, 1), timezones=st.just(UTC)),
)
durations = st.integers(0, 400 * HOUR)


@given(calendars(), instants, durations.filter(bool))
def test_a_deadline_never_falls_in_closed_time(calendar, start, seconds):
    deadline = calendar.add_business_time(start, seconds)
    assert deadline > start
    assert is_open(calendar, deadline - timedelta(microseconds=1))


@given(calendars(), instants)
def test_next_open_is_open_and_skips_no_business_time(calendar, instant):
    opens = next_open(calendar, instant)
    assert opens >= instant
    assert is_open(calendar, opens)
    assert calendar.business_time_between(instant, opens) == timedelta(0)


@given(calendars(), instants, durations)
def test_adding_then_measuring_gives_back_the_duration(calendar, start, seconds):
    deadline = calendar.add_business_time(start, seconds)
    assert calendar.business_time_between(start, deadline).total_seconds() == seconds


@given(calendars(), instants, durations, durations)
def test_more_business_time_never_gives_an_earlier_deadline(calendar, start, first, second):
    shorter, longer = sorted((first, second))
    assert calendar.add_business_time(start, shorter) <= calendar.add_business_time(start, longer)


@given(calendars(), instants, durations.filter(bool), durations)
def test_adding_in_two_steps_equals_adding_at_once(calendar, start, first, second):
    in_steps = calendar.add_business_time(calendar.add_business_time(start, first), second)
    assert in_steps == calendar.add_business_time(start, first + second)


@given(calendars(), instants, durations, durations)
def test_business_time_is_additive_over_adjacent_ranges(calendar, start, first, second):
    middle = start + timedelta(seconds=first)
    end = middle + timedelta(seconds=second)
    whole = calendar.business_time_between(start, end)
    assert whole == calendar.business_time_between(start, middle) + calendar.business_time_between(
        middle, end
    )
    assert whole <= end - start


def _open_by_wall_clock(calendar: BusinessCalendar, instant: datetime) -> bool:
    wall = instant.astimezone(ZoneInfo(calendar.timezone))
    if calendar.is_closed_date(wall.date()):
        return False
    seconds = wall.hour * HOUR + wall.minute * 60 + wall.second
    return any(
        span.opens <= seconds < span.closes
        for span in calendar.weekly_hours.spans_by_weekday[wall.weekday()]
    )


# Boundaries away from 00:15-04:00 wall time, where DST transitions happen in these zones.
SAFE_BOUNDARIES = st.one_of(st.just(0), st.integers(17, 96))


@settings(max_examples=60, deadline=None)
@given(
    calendars(boundaries=SAFE_BOUNDARIES),
    st.sampled_from(TRICKY_INSTANTS),
    st.integers(-2 * 24 * 4, 2 * 24 * 4),
)
def test_matches_a_minute_by_minute_reference(calendar, around, quarter_hours):
    start = around + timedelta(minutes=15 * quarter_hours)
    start = start.replace(minute=start.minute // 15 * 15, second=0, microsecond=0)
    end = start + timedelta(days=3)
    reference_minutes = sum(
        _open_by_wall_clock(calendar, start + timedelta(minutes=minute))
        for minute in range(3 * 24 * 60)
    )
    assert calendar.business_time_between(start, end) == timedelta(minutes=reference_minutes)
