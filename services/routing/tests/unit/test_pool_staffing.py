"""A pool's staffing from its traffic, and when a shortfall or recovery is announced."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.pool_staffing import (
    Announced,
    PoolTraffic,
    ServiceTarget,
    Standing,
    assess,
    interval_of,
    to_announce,
)

QUARTER = timedelta(minutes=15)


def traffic(arrivals: int, agents: int, handle: float = 180.0) -> PoolTraffic:
    return PoolTraffic("nordics", arrivals, timedelta(minutes=30), handle, agents)


def test_the_call_centre_helper_pool_needs_14_agents() -> None:
    # 100 calls in 30 minutes at 180 s, 80 % within 20 s, at most 85 % occupancy: 14
    # agents (CRAN ErlangC README; pyworkforce's raw_positions), 0.3896 with 11.
    target = ServiceTarget(share=0.8, answer_seconds=20, max_occupancy=0.85)

    eleven = assess(traffic(100, 11), target)
    fourteen = assess(traffic(100, 14), target)

    assert eleven.load == pytest.approx(10.0)
    assert eleven.agents_required == fourteen.agents_required == 14
    assert eleven.short
    assert not fourteen.short
    assert eleven.expected_service_level == pytest.approx(0.3896138, abs=5e-5)
    assert fourteen.expected_service_level == pytest.approx(0.88835, abs=5e-5)


def test_a_quiet_pool_needs_nobody() -> None:
    quiet = assess(traffic(0, 0), ServiceTarget())

    assert quiet.agents_required == 0
    assert not quiet.short


def test_intervals_are_counted_on_the_clock() -> None:
    nine = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    assert interval_of(nine, QUARTER) == interval_of(nine + timedelta(minutes=14.9), QUARTER)
    assert interval_of(nine + QUARTER, QUARTER) == interval_of(nine, QUARTER) + 1


def test_a_pool_is_announced_short_once_then_recovered_in_a_later_interval() -> None:
    assert to_announce(None, short=False, interval=7) is None
    assert to_announce(None, short=True, interval=7) is Standing.SHORT
    short = Announced(Standing.SHORT, 7)
    assert to_announce(short, short=True, interval=7) is None
    assert to_announce(short, short=False, interval=7) is None  # not twice in one interval
    assert to_announce(short, short=True, interval=8) is None
    assert to_announce(short, short=False, interval=8) is Standing.STAFFED
    staffed = Announced(Standing.STAFFED, 8)
    assert to_announce(staffed, short=False, interval=9) is None
    assert to_announce(staffed, short=True, interval=8) is None
    assert to_announce(staffed, short=True, interval=9) is Standing.SHORT


@given(st.lists(st.booleans(), min_size=1, max_size=60), st.integers(min_value=1, max_value=4))
def test_announcements_alternate_and_never_two_in_an_interval(
    shortness: list[bool], checks_per_interval: int
) -> None:
    last: Announced | None = None
    said: list[Announced] = []
    for check, short in enumerate(shortness):
        interval = check // checks_per_interval
        standing = to_announce(last, short=short, interval=interval)
        if standing is not None:
            last = Announced(standing, interval)
            said.append(last)
    assert [a.standing for a in said[::2]] == [Standing.SHORT] * len(said[::2])
    assert [a.standing for a in said[1::2]] == [Standing.STAFFED] * len(said[1::2])
    assert len({a.interval for a in said}) == len(said)
