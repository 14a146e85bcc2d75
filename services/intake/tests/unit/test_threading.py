from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.threading import (
    CandidateCase,
    CaseStatus,
    ThreadAction,
    ThreadDecision,
    ThreadReason,
    decide_thread,
)
from switchboard.intake.domain.values import Channel

NOW = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
WINDOW = timedelta(days=7)


def case(case_id, *, channel=Channel.EMAIL, resolved_days_ago=None, thread=False, age_hours=1):
    return CandidateCase(
        case_id=case_id,
        channel=channel,
        status=CaseStatus.OPEN if resolved_days_ago is None else CaseStatus.RESOLVED,
        last_activity_at=NOW - timedelta(hours=age_hours),
        resolved_at=None if resolved_days_ago is None else NOW - timedelta(days=resolved_days_ago),
        matched_thread_ref=thread,
    )


def decide(*candidates, channel=Channel.EMAIL):
    return decide_thread(channel=channel, candidates=candidates, now=NOW, reopen_window=WINDOW)


def test_nothing_found_opens_a_new_case():
    assert decide() == ThreadDecision(ThreadAction.OPEN_NEW, ThreadReason.NO_MATCH)


def test_a_reply_joins_its_open_thread():
    decision = decide(case("c1", thread=True))
    assert decision == ThreadDecision(ThreadAction.JOIN, ThreadReason.SAME_THREAD, "c1")


def test_a_reply_to_a_recently_resolved_thread_reopens_it():
    decision = decide(case("c1", thread=True, resolved_days_ago=2))
    assert decision == ThreadDecision(ThreadAction.REOPEN, ThreadReason.SAME_THREAD, "c1")


def test_a_reply_to_a_long_resolved_thread_opens_a_new_case():
    assert decide(case("c1", thread=True, resolved_days_ago=30)).action is ThreadAction.OPEN_NEW


def test_a_thread_match_beats_a_newer_open_case_of_the_same_customer():
    decision = decide(case("thread", thread=True, age_hours=50), case("other", age_hours=0))
    assert decision.case_id == "thread"


def test_same_customer_same_channel_joins_the_most_recent_open_case():
    decision = decide(case("old", age_hours=10), case("new", age_hours=1))
    assert decision == ThreadDecision(
        ThreadAction.JOIN, ThreadReason.SAME_CUSTOMER_AND_CHANNEL, "new"
    )


def test_an_open_case_on_another_channel_is_not_joined():
    assert decide(case("c1", channel=Channel.PHONE)).action is ThreadAction.OPEN_NEW


def test_same_customer_and_channel_reopens_the_latest_recently_resolved_case():
    decision = decide(case("a", resolved_days_ago=3), case("b", resolved_days_ago=1))
    assert decision == ThreadDecision(
        ThreadAction.REOPEN, ThreadReason.SAME_CUSTOMER_AND_CHANNEL, "b"
    )


def test_an_open_case_beats_a_resolved_one():
    assert decide(case("resolved", resolved_days_ago=0), case("open")).case_id == "open"


def test_a_resolved_thread_match_falls_back_to_an_open_customer_case():
    decision = decide(case("thread", thread=True, resolved_days_ago=40), case("open"))
    assert decision == ThreadDecision(
        ThreadAction.JOIN, ThreadReason.SAME_CUSTOMER_AND_CHANNEL, "open"
    )


def test_the_window_boundary_still_reopens():
    assert decide(case("c1", resolved_days_ago=7)).action is ThreadAction.REOPEN


candidates = st.lists(
    st.builds(
        case,
        st.text(alphabet="abcdef", min_size=1, max_size=4),
        channel=st.sampled_from(list(Channel)),
        resolved_days_ago=st.none() | st.integers(min_value=0, max_value=60),
        thread=st.booleans(),
        age_hours=st.integers(min_value=0, max_value=500),
    ),
    max_size=8,
)


@given(candidates=candidates, channel=st.sampled_from(list(Channel)))
def test_decisions_always_name_a_candidate_that_fits_the_action(candidates, channel):
    decision = decide(*candidates, channel=channel)
    chosen = [c for c in candidates if c.case_id == decision.case_id]
    if decision.action is ThreadAction.OPEN_NEW:
        assert decision.case_id is None
        eligible = [c for c in candidates if c.matched_thread_ref or c.channel == channel]
        assert all(
            c.status is CaseStatus.RESOLVED and NOW - c.resolved_at > WINDOW for c in eligible
        )
    elif decision.action is ThreadAction.JOIN:
        assert any(c.status is CaseStatus.OPEN for c in chosen)
    else:
        assert any(NOW - c.resolved_at <= WINDOW for c in chosen if c.resolved_at)


@given(candidates=candidates, channel=st.sampled_from(list(Channel)))
def test_decisions_do_not_depend_on_candidate_order(candidates, channel):
    assert decide(*candidates, channel=channel) == decide(*reversed(candidates), channel=channel)


@given(candidates=candidates)
def test_an_open_thread_match_is_always_joined(candidates):
    open_thread = case("zz-thread", thread=True, age_hours=0)
    decision = decide(open_thread, *[c for c in candidates if not c.matched_thread_ref])
    assert decision == ThreadDecision(ThreadAction.JOIN, ThreadReason.SAME_THREAD, "zz-thread")
