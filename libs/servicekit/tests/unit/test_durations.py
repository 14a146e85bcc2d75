from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.servicekit.durations import parse_duration


@pytest.mark.parametrize(
    ("spelled", "seconds"),
    [
        (90, 90),
        (2.5, 2.5),
        ("90", 90),
        ("90s", 90),
        ("15m", 900),
        ("1h30m", 5400),
        ("1h 30m", 5400),
        ("2d", 172800),
        ("0.5h", 1800),
        ("PT15M", 900),
        ("P1DT2H", 93600),
        ("pt30s", 30),
        (timedelta(minutes=3), 180),
    ],
)
def test_every_spelling_of_a_duration(spelled, seconds):
    assert parse_duration(spelled) == timedelta(seconds=seconds)


@pytest.mark.parametrize("bad", [0, -5, "0s", "", "P", "PT", "15 minutes", "1w", True, None, [1]])
def test_what_is_not_a_positive_duration_is_refused(bad):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(bad)


@given(st.integers(min_value=0, max_value=30), st.integers(0, 23), st.integers(0, 59))
def test_compact_and_iso_spellings_agree(days, hours, minutes):
    if days == hours == minutes == 0:
        return
    compact = f"{days}d{hours}h{minutes}m"
    iso = f"P{days}DT{hours}H{minutes}M"
    assert parse_duration(compact) == parse_duration(iso)
    assert parse_duration(compact) == timedelta(days=days, hours=hours, minutes=minutes)
