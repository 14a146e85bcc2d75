"""Erlang C against published worked examples, and its laws under hypothesis.

Every expected value below is copied from its source, never computed with this code.
"""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.staffing import (
    agents_required,
    average_speed_of_answer,
    erlang_b,
    occupancy,
    service_level,
    wait_probability,
)

FOUR_DECIMALS = 5e-5

# The Call Centre Helper example (100 calls in 30 minutes, 180 s handle time, 80 % within
# 20 s: 10 Erlangs), as worked by the CRAN package ErlangC 0.1.0 (Damonsoul), README,
# https://CRAN.R-project.org/package=ErlangC — erlang_c(100, 30 min, 180 s, 20 s, n = 14)
# and calculate_agents(..., require_service_level = 0.8, max_occupancy = 0.85).
CCH_LOAD = 100 * 180 / (30 * 60)


def test_the_call_centre_helper_example_with_14_agents() -> None:
    assert CCH_LOAD == 10
    assert wait_probability(14, CCH_LOAD) == pytest.approx(0.1741319, abs=FOUR_DECIMALS)
    assert 1 - wait_probability(14, CCH_LOAD) == pytest.approx(0.8258681, abs=FOUR_DECIMALS)
    assert service_level(14, CCH_LOAD, handle_seconds=180, within_seconds=20) == pytest.approx(
        0.88835, abs=FOUR_DECIMALS
    )
    assert average_speed_of_answer(14, CCH_LOAD, handle_seconds=180) == pytest.approx(
        7.83593701177724, abs=FOUR_DECIMALS
    )
    assert occupancy(14, CCH_LOAD) == pytest.approx(0.7142857, abs=FOUR_DECIMALS)


def test_the_call_centre_helper_example_with_11_agents() -> None:
    # ErlangC's README, the first row of calculate_agents' $process table (n = 11).
    assert wait_probability(11, CCH_LOAD) == pytest.approx(0.6821182, abs=FOUR_DECIMALS)
    assert service_level(11, CCH_LOAD, handle_seconds=180, within_seconds=20) == pytest.approx(
        0.3896138, abs=FOUR_DECIMALS
    )


def test_agents_required_in_the_call_centre_helper_example() -> None:
    # ErlangC's README: $agents 14 for 80 % in 20 s at most 85 % occupancy; pyworkforce
    # (rodrigo-arenas/pyworkforce, pyworkforce/queuing/tests/test_erlang.py) the same
    # example: raw_positions 14 at max_occupancy 0.85, 15 at max_occupancy 0.7.
    assert (
        agents_required(
            CCH_LOAD, handle_seconds=180, within_seconds=20, target=0.8, max_occupancy=0.85
        )
        == 14
    )
    assert (
        agents_required(
            CCH_LOAD, handle_seconds=180, within_seconds=20, target=0.8, max_occupancy=0.7
        )
        == 15
    )


def test_pyworkforce_three_decimals_with_15_agents() -> None:
    # pyworkforce's test_over_occupancy_erlangc: 15 productive positions give service
    # level 0.941, occupancy 0.667, waiting probability 0.102 (published to 3 decimals).
    assert round(service_level(15, CCH_LOAD, handle_seconds=180, within_seconds=20), 3) == 0.941
    assert round(occupancy(15, CCH_LOAD), 3) == 0.667
    assert round(wait_probability(15, CCH_LOAD), 3) == 0.102


def test_an_overloaded_pool_answers_nobody_in_time() -> None:
    assert wait_probability(10, 10.0) == 1.0
    assert service_level(9, 10.0, handle_seconds=180, within_seconds=20) == 0.0
    assert average_speed_of_answer(10, 10.0, handle_seconds=180) == math.inf
    assert occupancy(5, 10.0) == 1.0


def test_no_load_needs_no_agent() -> None:
    assert agents_required(0.0, handle_seconds=180, within_seconds=20, target=0.8) == 0
    assert wait_probability(3, 0.0) == 0.0
    assert occupancy(3, 0.0) == 0.0


def test_large_loads_stay_finite() -> None:
    # 5,000 Erlangs: a factorial of 5,000 would overflow a float many times over.
    needed = agents_required(5000.0, handle_seconds=300, within_seconds=20, target=0.8)
    assert 5000 < needed < 5200
    assert 0.8 <= service_level(needed, 5000.0, handle_seconds=300, within_seconds=20) <= 1
    assert 0.0 < erlang_b(needed, 5000.0) < 1.0


@pytest.mark.parametrize(("agents", "load"), [(-1, 1.0), (1, -1.0), (1, math.nan), (1, math.inf)])
def test_a_negative_count_or_load_is_refused(agents: int, load: float) -> None:
    with pytest.raises(ValueError):
        erlang_b(agents, load)


@pytest.mark.parametrize(
    ("handle", "within", "target", "occupancy_cap"),
    [(0, 20, 0.8, 1.0), (180, -1, 0.8, 1.0), (180, 20, 1.0, 1.0), (180, 20, 0.8, 0.0)],
)
def test_an_impossible_target_is_refused(
    handle: float, within: float, target: float, occupancy_cap: float
) -> None:
    with pytest.raises(ValueError):
        agents_required(
            1.0,
            handle_seconds=handle,
            within_seconds=within,
            target=target,
            max_occupancy=occupancy_cap,
        )


loads = st.floats(min_value=0.01, max_value=400.0, allow_nan=False)
handles = st.floats(min_value=5.0, max_value=3600.0)
withins = st.floats(min_value=0.0, max_value=600.0)
targets = st.floats(min_value=0.0, max_value=0.99)
caps = st.floats(min_value=0.5, max_value=1.0)
extra = st.integers(min_value=0, max_value=40)


@given(loads, extra, handles, withins)
def test_probabilities_stay_in_the_unit_interval(
    load: float, more: int, handle: float, within: float
) -> None:
    agents = math.floor(load) + more
    for value in (
        erlang_b(agents, load),
        wait_probability(agents, load),
        service_level(agents, load, handle_seconds=handle, within_seconds=within),
        occupancy(agents, load),
    ):
        assert 0.0 <= value <= 1.0


@given(loads, extra, handles, withins)
def test_more_agents_never_lower_the_service_level(
    load: float, more: int, handle: float, within: float
) -> None:
    agents = math.floor(load) + more
    fewer = service_level(agents, load, handle_seconds=handle, within_seconds=within)
    more_ = service_level(agents + 1, load, handle_seconds=handle, within_seconds=within)
    assert more_ >= fewer - 1e-12
    assert wait_probability(agents + 1, load) <= wait_probability(agents, load) + 1e-12


@given(loads, st.floats(min_value=0.0, max_value=100.0), handles, withins, targets, caps)
def test_higher_load_never_needs_fewer_agents(
    load: float, added: float, handle: float, within: float, target: float, cap: float
) -> None:
    def needed(offered: float) -> int:
        return agents_required(
            offered,
            handle_seconds=handle,
            within_seconds=within,
            target=target,
            max_occupancy=cap,
        )

    assert needed(load + added) >= needed(load)


@given(loads, handles, withins, targets, caps)
def test_agents_required_is_the_least_that_meets_the_target(
    load: float, handle: float, within: float, target: float, cap: float
) -> None:
    needed = agents_required(
        load, handle_seconds=handle, within_seconds=within, target=target, max_occupancy=cap
    )

    def meets(agents: int) -> bool:
        return (
            service_level(agents, load, handle_seconds=handle, within_seconds=within) >= target
            and agents > load
            and load / agents <= cap
        )

    assert meets(needed)
    assert not meets(needed - 1)
