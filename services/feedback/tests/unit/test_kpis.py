from hypothesis import given
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


def answers(*scores: tuple[int | None, int | None, int | None]) -> Counters:
    return sum_counters([answer_counters(csat=c, nps=n, ces=e) for c, n, e in scores])


def test_csat_is_the_share_of_four_and_five():
    kpis = compute_kpis(answers((5, None, None), (4, None, None), (3, None, None), (1, None, None)))
    assert kpis.csat_percent == 50.0


def test_nps_is_promoters_minus_detractors():
    # 3 promoters (9, 10, 9), 2 passives (7, 8), 5 detractors (0..6) out of 10.
    scores = [9, 10, 9, 7, 8, 0, 3, 5, 6, 6]
    kpis = compute_kpis(answers(*[(None, s, None) for s in scores]))
    assert kpis.nps == 30.0 - 50.0


def test_ces_is_the_mean_of_answered_scores_only():
    kpis = compute_kpis(answers((None, None, 7), (None, None, 4), (5, None, None)))
    assert kpis.ces == 5.5
    assert kpis.surveys_answered == 3


def test_response_rate_is_answers_over_requests():
    counters = sum_counters([survey_requested_counters()] * 4) + answers((5, None, None))
    assert compute_kpis(counters).response_rate_percent == 25.0


def test_durations_fcr_and_sla_attainment():
    counters = sum_counters(
        [
            first_response_counters(seconds=60),
            first_response_counters(seconds=120.5),
            resolution_counters(seconds=3600, first_contact=True),
            resolution_counters(seconds=7200, first_contact=False),
            sla_counters(achieved=True),
            sla_counters(achieved=True),
            sla_counters(achieved=True),
            sla_counters(achieved=False),
        ]
    )
    kpis = compute_kpis(counters)
    assert kpis.first_response_seconds == 90.25
    assert kpis.resolution_seconds == 5400.0
    assert kpis.first_contact_resolution_percent == 50.0
    assert kpis.sla_attainment_percent == 75.0


def test_backlog_counts_arrivals_minus_resolutions_from_a_starting_backlog():
    counters = sum_counters(
        [case_opened_counters()] * 5
        + [case_reopened_counters()]
        + [resolution_counters(seconds=1, first_contact=True)] * 2
    )
    assert compute_kpis(counters, open_before=10).backlog == 14
    assert compute_kpis(counters).backlog is None


def test_an_empty_slice_has_no_kpis_rather_than_zeros():
    kpis = compute_kpis(Counters())
    assert kpis.csat_percent is None
    assert kpis.nps is None
    assert kpis.ces is None
    assert kpis.response_rate_percent is None
    assert kpis.sla_attainment_percent is None
    assert kpis.surveys_answered == 0


scores = st.tuples(
    st.none() | st.integers(1, 5), st.none() | st.integers(0, 10), st.none() | st.integers(1, 7)
)


@given(st.lists(scores, min_size=1, max_size=200))
def test_kpis_stay_in_their_ranges(answered):
    kpis = compute_kpis(answers(*answered))
    if kpis.csat_percent is not None:
        assert 0.0 <= kpis.csat_percent <= 100.0
    if kpis.nps is not None:
        assert -100.0 <= kpis.nps <= 100.0
    if kpis.ces is not None:
        assert 1.0 <= kpis.ces <= 7.0


@given(st.lists(scores, max_size=50), st.lists(scores, max_size=50))
def test_counters_merge_by_addition(left, right):
    assert answers(*left) + answers(*right) == answers(*(left + right))


@given(st.lists(st.integers(0, 10), min_size=1, max_size=100))
def test_nps_matches_the_textbook_definition(nps_scores):
    promoters = sum(1 for s in nps_scores if s >= 9) / len(nps_scores)
    detractors = sum(1 for s in nps_scores if s <= 6) / len(nps_scores)
    kpis = compute_kpis(answers(*[(None, s, None) for s in nps_scores]))
    assert abs(kpis.nps - 100 * (promoters - detractors)) < 1e-9
