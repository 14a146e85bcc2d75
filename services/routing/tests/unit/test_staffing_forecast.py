"""A pool's next intervals forecast from the same interval of day on recent days."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.pool_staffing import ServiceTarget
from switchboard.routing.domain.staffing_forecast import (
    days_with_data,
    expected_arrivals,
    forecast_interval,
    next_intervals,
)

QUARTER = timedelta(minutes=15)
NOW = datetime(2026, 3, 9, 13, 52, tzinfo=UTC)
TARGET = ServiceTarget(share=0.8, answer_seconds=20, max_occupancy=0.85)
LONG_AGO = datetime(2025, 1, 1, tzinfo=UTC)


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=UTC)


def test_the_next_intervals_start_at_the_boundaries_after_now() -> None:
    assert next_intervals(NOW, length=QUARTER, count=4) == [
        at(9, 14, 0),
        at(9, 14, 15),
        at(9, 14, 30),
        at(9, 14, 45),
    ]
    assert next_intervals(at(9, 14, 0), length=QUARTER, count=1) == [at(9, 14, 15)]
    assert next_intervals(NOW, length=QUARTER, count=0) == []


def test_the_intervals_cross_midnight_and_their_past_days_with_them() -> None:
    starts = next_intervals(at(9, 23, 40), length=QUARTER, count=3)

    assert starts == [at(9, 23, 45), at(10, 0, 0), at(10, 0, 15)]
    midnight = days_with_data(
        starts[1], length=QUARTER, days=2, first_opened=LONG_AGO, now=at(9, 23, 40)
    )
    assert midnight == [at(9, 0, 0), at(8, 0, 0)]  # today's midnight counts, it is over


def test_the_mean_is_over_the_days_counted_and_a_day_without_cases_counts_zero() -> None:
    counted = days_with_data(at(9, 14, 0), length=QUARTER, days=7, first_opened=LONG_AGO, now=NOW)
    arrivals = {at(8, 14, 0): 10, at(7, 14, 0): 4, at(2, 14, 0): 7, at(1, 14, 0): 99}

    assert len(counted) == 7
    assert at(1, 14, 0) not in counted  # eight days back
    assert expected_arrivals(counted, arrivals) == pytest.approx(21 / 7)


def test_only_days_since_the_first_case_count() -> None:
    first = at(7, 14, 10)  # inside the 14:00 interval two days back: that day counts

    counted = days_with_data(at(9, 14, 0), length=QUARTER, days=7, first_opened=first, now=NOW)
    exactly_at_the_end = days_with_data(
        at(9, 14, 0), length=QUARTER, days=7, first_opened=at(7, 14, 15), now=NOW
    )

    assert counted == [at(8, 14, 0), at(7, 14, 0)]
    assert exactly_at_the_end == [at(8, 14, 0)]
    assert expected_arrivals(counted, {at(8, 14, 0): 3, at(7, 14, 0): 6}) == 4.5


def test_without_a_past_day_there_is_no_forecast() -> None:
    never = days_with_data(at(9, 14, 0), length=QUARTER, days=7, first_opened=None, now=NOW)
    today = days_with_data(at(9, 14, 0), length=QUARTER, days=7, first_opened=at(9, 8, 0), now=NOW)

    assert never == today == []
    assert (
        forecast_interval(
            at(9, 14, 0),
            counted=[],
            arrivals={},
            length=QUARTER,
            handle_seconds=180,
            agents_available=3,
            target=TARGET,
        )
        is None
    )


def test_an_interval_not_yet_over_a_day_back_does_not_count() -> None:
    # Forecasting a whole day ahead: the interval a day back from the last is still running.
    counted = days_with_data(at(10, 13, 45), length=QUARTER, days=2, first_opened=LONG_AGO, now=NOW)

    assert counted == [at(8, 13, 45)]


def test_a_forecast_uses_erlang_c_like_the_staffing_now() -> None:
    # 50 cases a quarter at 180 s: 10 Erlangs, 14 agents for 80 % in 20 s at 85 % at most.
    counted = [at(8, 14, 0), at(7, 14, 0)]
    forecast = forecast_interval(
        at(9, 14, 0),
        counted=counted,
        arrivals={at(8, 14, 0): 40, at(7, 14, 0): 60},
        length=QUARTER,
        handle_seconds=180,
        agents_available=11,
        target=TARGET,
    )

    assert forecast is not None
    assert (forecast.expected_arrivals, forecast.days_averaged) == (50, 2)
    assert forecast.load == pytest.approx(10)
    assert (forecast.agents_required, forecast.agents_available) == (14, 11)
    assert forecast.short
    assert forecast.expected_service_level == pytest.approx(0.3896138, abs=5e-5)


counts = st.lists(st.integers(min_value=0, max_value=500), min_size=1, max_size=7)


@given(counts, st.integers(min_value=0, max_value=6), st.integers(min_value=1, max_value=200))
def test_more_past_arrivals_never_lower_the_agents_required(
    before: list[int], day: int, more: int
) -> None:
    counted = [at(9, 14, 0) - timedelta(days=n) for n in range(1, len(before) + 1)]
    busier = list(before)
    busier[day % len(before)] += more

    def required(past: list[int]) -> int:
        forecast = forecast_interval(
            at(9, 14, 0),
            counted=counted,
            arrivals=dict(zip(counted, past, strict=True)),
            length=QUARTER,
            handle_seconds=240,
            agents_available=5,
            target=TARGET,
        )
        assert forecast is not None
        return forecast.agents_required

    assert required(busier) >= required(before)
