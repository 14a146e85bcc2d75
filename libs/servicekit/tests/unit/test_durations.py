import re
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from switchboard.servicekit.durations import PATTERN, parse_duration


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


NOT_DURATIONS = ("0s", "", "P", "PT", "P1DT", "15 minutes", "1w", "P1W", "1e3", "inf", "1\u0663s")


@pytest.mark.parametrize("bad", [*NOT_DURATIONS, 0, -5, float("nan"), 1e30, True, None, [1]])
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


@settings(suppress_health_check=[HealthCheck.filter_too_much])
@given(st.from_regex(PATTERN))
def test_every_string_the_schema_allows_is_a_duration(spelled):
    assert parse_duration(spelled) > timedelta(0)


@given(st.text(alphabet="0123456789.dhmsDHMSPTpt :W-", max_size=12))
def test_the_parser_takes_exactly_what_the_schema_allows(spelled):
    try:
        parse_duration(spelled)
    except ValueError:
        assert not re.search(PATTERN, spelled)
    else:
        assert re.search(PATTERN, spelled)
