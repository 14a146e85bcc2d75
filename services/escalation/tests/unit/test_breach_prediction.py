"""A waiting case's predicted breach (domain/breach_prediction): its expected offer against
the first-response deadline less a margin, once per clock, cleared by the offer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.breach_prediction import BreachWatch, margin_for, will_breach

DUE = datetime(2025, 11, 24, 9, 0, tzinfo=UTC)
MARGIN = timedelta(minutes=6)


def test_an_offer_expected_after_the_deadline_less_the_margin_will_breach() -> None:
    assert margin_for(timedelta(hours=1), 0.1) == MARGIN
    assert not will_breach(DUE - timedelta(minutes=7), due_at=DUE, margin=MARGIN)
    assert not will_breach(DUE - MARGIN, due_at=DUE, margin=MARGIN)
    assert will_breach(DUE - timedelta(minutes=5), due_at=DUE, margin=MARGIN)
    assert will_breach(DUE + timedelta(hours=1), due_at=DUE, margin=MARGIN)


def test_no_offer_in_sight_will_breach() -> None:
    assert will_breach(None, due_at=DUE, margin=MARGIN)


def test_a_clock_is_predicted_to_breach_once_and_cleared_once() -> None:
    at = DUE - timedelta(minutes=50)
    late = DUE + timedelta(minutes=30)
    watch = BreachWatch()

    in_time = watch.weigh(DUE - timedelta(minutes=20), due_at=DUE, margin=MARGIN, at=at)
    predicted = in_time.weigh(late, due_at=DUE, margin=MARGIN, at=at)
    again = predicted.weigh(None, due_at=DUE, margin=MARGIN, at=at + timedelta(minutes=1))
    cleared = again.clear(at=at + timedelta(minutes=5))

    assert in_time == watch
    assert not watch.at_risk
    assert predicted == BreachWatch(predicted_at=at)
    assert predicted.at_risk
    assert again == predicted
    assert cleared == BreachWatch(predicted_at=at, cleared_at=at + timedelta(minutes=5))
    assert not cleared.at_risk
    assert cleared.clear(at=at + timedelta(minutes=9)) == cleared
    assert cleared.weigh(late, due_at=DUE, margin=MARGIN, at=at + timedelta(minutes=9)) == cleared
    assert BreachWatch().clear(at=at) == BreachWatch()  # nothing to clear


offsets = st.one_of(st.none(), st.integers(min_value=-86_400, max_value=86_400))


@given(forecasts=st.lists(offsets, max_size=30), clear_after=st.integers(min_value=0, max_value=30))
def test_any_run_of_forecasts_predicts_at_most_once_and_only_a_late_one(
    forecasts: list[int | None], clear_after: int
) -> None:
    watch, predictions = BreachWatch(), 0
    for n, offset in enumerate(forecasts):
        if n == clear_after:
            watch = watch.clear(at=DUE)
        expected = None if offset is None else DUE + timedelta(seconds=offset)
        after = watch.weigh(expected, due_at=DUE, margin=MARGIN, at=DUE)
        if after != watch:
            predictions += 1
            assert will_breach(expected, due_at=DUE, margin=MARGIN)
        watch = after
    # An offer clears a prediction; one made before any prediction leaves nothing to clear.
    late = any(o is None or o > -MARGIN.total_seconds() for o in forecasts)
    assert predictions == (1 if late else 0)
