"""The problem detector on made-up traffic: a topic rising in two regions at once is one
problem, explained by the terms that rose; one region alone, a steady mix, the warm-up and
a second wording of a problem already going on are not new problems."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.problem_detection import (
    Contact,
    DetectorSettings,
    ProblemDetector,
    rises,
)

START = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
ORDINARY = (
    frozenset({"invoic", "amount", "higher"}),
    frozenset({"deliveri", "parcel", "arriv"}),
    frozenset({"address", "move", "account"}),
)
_ids = itertools.count()


def contact(at: datetime, region: str, terms: frozenset[str], language: str = "en") -> Contact:
    return Contact(f"c{next(_ids)}", at, region, language, terms, " ".join(sorted(terms)))


def background(minutes: int, regions: tuple[str, ...], *, every: float = 0.5) -> list[Contact]:
    """Each region writes its ordinary messages in turn, one every ``every`` minutes."""
    found = []
    for step in range(int(minutes / every)):
        at = START + timedelta(minutes=step * every)
        for number, region in enumerate(regions):
            found.append(contact(at, region, ORDINARY[(step + number) % len(ORDINARY)]))
    return found


def run(detector: ProblemDetector, contacts: list[Contact]) -> list:
    detections = []
    for each in sorted(contacts, key=lambda c: c.at):
        detections.extend(detector.observe(each))
    return detections


def incident(onset_minute: float, regions: dict[str, frozenset[str]], count: int) -> list[Contact]:
    return [
        contact(START + timedelta(minutes=onset_minute + n * 0.8), region, terms)
        for n in range(count)
        for region, terms in regions.items()
    ]


def test_a_topic_rising_in_two_regions_at_once_is_one_problem_with_its_terms_and_examples():
    detector = ProblemDetector()
    rising = {
        "nordics": frozenset({"payment", "card", "reject", "betal"}),
        "france": frozenset({"payment", "card", "reject", "carte"}),
    }
    traffic = background(200, ("nordics", "france", "poland")) + incident(150, rising, 10)

    (problem,) = run(detector, traffic)

    assert problem.regions == ("france", "nordics")
    assert {"payment", "card", "reject"} <= set(problem.terms)
    assert {"betal", "carte"}.isdisjoint(problem.terms)  # rose in one region only
    assert all(problem.counts[r] >= DetectorSettings().min_contacts for r in problem.regions)
    assert {e.region for e in problem.examples} == {"france", "nordics"}
    assert START + timedelta(minutes=150) <= problem.first_seen <= problem.detected_at
    assert problem.detected_at <= START + timedelta(minutes=160)


def test_one_region_alone_a_steady_mix_and_the_warm_up_raise_nothing():
    local = {"poland": frozenset({"payment", "card", "reject"})}
    assert (
        run(ProblemDetector(), background(300, ("nordics", "poland")) + incident(150, local, 12))
        == []
    )
    both = {r: frozenset({"payment", "card"}) for r in ("nordics", "poland")}
    assert (
        run(ProblemDetector(), background(300, ("nordics", "poland")) + incident(20, both, 12))
        == []
    )


def test_another_wording_of_a_problem_going_on_joins_it():
    first = {r: frozenset({"app", "crash", "open"}) for r in ("nordics", "france")}
    second = {r: frozenset({"app", "close", "mobil"}) for r in ("nordics", "france")}
    traffic = (
        background(200, ("nordics", "france"))
        + incident(150, first, 10)
        + incident(170, second, 10)
    )
    detector = ProblemDetector()
    (problem,) = run(detector, traffic)
    going_on = detector.active[problem.problem_id]
    assert going_on.last_rise >= START + timedelta(minutes=172)  # the second wording's rise
    alone = background(240, ("nordics", "france")) + incident(170, second, 10)
    assert len(run(ProblemDetector(), alone)) == 1  # a problem of its own without the first


@given(
    window=st.integers(min_value=0, max_value=200),
    expected=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_a_rise_stays_a_rise_with_more_contacts_and_less_expected(window, expected):
    settings = DetectorSettings()
    if rises(window, expected, settings):
        assert rises(window + 1, expected, settings)
        assert rises(window, expected / 2, settings)
    if window < settings.min_contacts:
        assert not rises(window, expected, settings)


@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=400),
            st.sampled_from(("nordics", "france", "poland")),
            st.sampled_from((*ORDINARY, frozenset({"payment", "card"}))),
        ),
        max_size=300,
    )
)
def test_every_problem_touches_enough_regions_and_only_shows_their_contacts(arrivals):
    detector = ProblemDetector(DetectorSettings(warm_up=timedelta(minutes=30)))
    contacts = [contact(START + timedelta(minutes=m), r, t) for m, r, t in arrivals]
    for problem in run(detector, contacts):
        assert len(problem.regions) >= 2
        assert set(problem.counts) <= set(problem.regions)
        assert {e.region for e in problem.examples} <= set(problem.regions)
        assert problem.first_seen <= problem.detected_at
        assert problem.terms
        assert len(problem.terms) <= DetectorSettings().max_terms
