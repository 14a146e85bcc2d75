"""Expected offer times from queue position and pace, and when a forecast is worth saying
again (domain/wait_forecast)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.wait_forecast import (
    Forecast,
    Tolerance,
    WaitingCase,
    forecast,
    per_minute,
    queue_positions,
    worth_saying,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WINDOW, LEAST = timedelta(minutes=15), timedelta(minutes=5)


def test_a_case_is_offered_after_those_ahead_of_it_and_itself_at_the_pace() -> None:
    # 30 offers accepted in 15 minutes: 2 a minute; 9 cases ahead, the tenth in 5 minutes.
    pace = per_minute(30, NOW - timedelta(minutes=14), now=NOW, window=WINDOW, least=LEAST)

    assert pace == pytest.approx(30 / 14)
    assert per_minute(30, NOW - timedelta(hours=1), now=NOW, window=WINDOW, least=LEAST) == 2.0
    assert forecast(9, 2.0, now=NOW) == Forecast(9, 2.0, NOW + timedelta(minutes=5))


def test_a_pool_just_served_is_paced_since_its_first_offer_but_over_five_minutes_at_least() -> None:
    def pace(accepted: int, minutes_ago: float) -> float:
        first = NOW - timedelta(minutes=minutes_ago)
        return per_minute(accepted, first, now=NOW, window=WINDOW, least=LEAST)

    assert pace(6, 6) == 1.0  # six since 6 minutes ago, not six in fifteen
    assert pace(2, 1) == pytest.approx(0.4)  # two in the last minute: as if over five
    assert pace(0, 1) == 0.0
    assert per_minute(3, None, now=NOW, window=WINDOW, least=LEAST) == 0.0


def test_a_pool_that_serves_nobody_offers_nothing_in_sight() -> None:
    assert forecast(0, 0.0, now=NOW) == Forecast(0, 0.0, None)


def test_positions_follow_routing_order_per_pool_and_channel() -> None:
    def case(case_id: str, priority: int, minute: int, pool: str = "nordics") -> WaitingCase:
        return WaitingCase(case_id, pool, "chat", priority, NOW + timedelta(minutes=minute))

    positions = queue_positions(
        [
            case("late-urgent", 1, 9),
            case("early", 3, 0),
            case("later", 3, 5),
            case("other-pool", 3, 1, pool="dach"),
            WaitingCase("email", "nordics", "email", 3, NOW),
        ]
    )

    assert positions == {"late-urgent": 0, "early": 1, "later": 2, "other-pool": 0, "email": 0}


@given(
    ahead=st.integers(min_value=0, max_value=10_000),
    more=st.integers(min_value=1, max_value=100),
    pace=st.floats(min_value=0.01, max_value=1_000),
    faster=st.floats(min_value=1.0, max_value=100),
)
def test_more_cases_ahead_or_a_slower_pace_never_bring_the_offer_sooner(
    ahead: int, more: int, pace: float, faster: float
) -> None:
    expected = forecast(ahead, pace, now=NOW).expected_offer_at
    assert expected is not None
    assert expected > NOW
    behind = forecast(ahead + more, pace, now=NOW).expected_offer_at
    quicker = forecast(ahead, pace * faster, now=NOW).expected_offer_at
    assert behind is not None
    assert behind >= expected
    assert quicker is not None
    assert quicker <= expected


TOLERANCE = Tolerance(seconds=30, share=0.2)


def test_the_first_forecast_and_an_offer_coming_in_or_out_of_sight_are_said() -> None:
    soon = forecast(0, 1.0, now=NOW)
    never = forecast(0, 0.0, now=NOW)

    assert worth_saying(None, False, never, now=NOW, tolerance=TOLERANCE)
    assert worth_saying(None, True, soon, now=NOW, tolerance=TOLERANCE)
    assert worth_saying(NOW, True, never, now=NOW, tolerance=TOLERANCE)
    assert not worth_saying(None, True, never, now=NOW, tolerance=TOLERANCE)


def test_a_forecast_is_said_again_only_when_it_moves_beyond_the_tolerance() -> None:
    said = NOW + timedelta(minutes=10)  # 20 % of 10 minutes: 2 minutes

    def at(minutes: float) -> Forecast:
        return Forecast(5, 1.0, NOW + timedelta(minutes=minutes))

    assert not worth_saying(said, True, at(11.5), now=NOW, tolerance=TOLERANCE)
    assert not worth_saying(said, True, at(8.5), now=NOW, tolerance=TOLERANCE)
    assert worth_saying(said, True, at(12.5), now=NOW, tolerance=TOLERANCE)
    assert worth_saying(said, True, at(7.5), now=NOW, tolerance=TOLERANCE)
    # Close to the offer the floor in seconds rules: 20 s late is not news, 40 s is.
    almost = NOW + timedelta(seconds=10)
    assert not worth_saying(
        almost, True, Forecast(0, 1.0, almost + timedelta(seconds=20)), now=NOW, tolerance=TOLERANCE
    )
    assert worth_saying(
        almost, True, Forecast(0, 1.0, almost + timedelta(seconds=40)), now=NOW, tolerance=TOLERANCE
    )


@given(
    wait=st.floats(min_value=0, max_value=86_400),
    moves=st.lists(st.floats(min_value=-600, max_value=600), min_size=1, max_size=50),
)
def test_a_steady_forecast_is_never_said_twice(wait: float, moves: list[float]) -> None:
    said = NOW + timedelta(seconds=wait)
    for move in moves:
        new = Forecast(3, 1.0, said + timedelta(seconds=move))
        if worth_saying(said, True, new, now=NOW, tolerance=TOLERANCE):
            assert abs(move) > 30
            said = new.expected_offer_at or said
        assert not worth_saying(said, True, Forecast(3, 1.0, said), now=NOW, tolerance=TOLERANCE)
