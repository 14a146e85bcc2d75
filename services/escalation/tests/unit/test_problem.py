"""A detected problem: acknowledged once per touched region, by nobody outside them; a
note is written for a touched region of its writer."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from switchboard.escalation.domain.problem import Problem, ProblemError

AT = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_each_touched_region_acknowledges_once():
    problem = Problem("p1", frozenset({"nordics", "france"}))
    taken = problem.acknowledge(region="nordics", by="nora", at=AT)
    assert taken.acknowledgements["nordics"].by == "nora"
    assert problem.acknowledgements == {}
    with pytest.raises(ProblemError, match="already"):
        taken.acknowledge(region="nordics", by="magnus", at=AT)
    with pytest.raises(ProblemError, match="does not touch"):
        taken.acknowledge(region="poland", by="zofia", at=AT)
    both = taken.acknowledge(region="france", by="camille", at=AT)
    assert set(both.acknowledgements) == {"nordics", "france"}


def test_a_note_is_written_for_a_touched_region_of_its_writer():
    problem = Problem("p1", frozenset({"nordics", "france"}))
    assert problem.note_region(frozenset({"france", "dach"})) == "france"
    assert problem.note_region(None) == "france"
    with pytest.raises(ProblemError):
        problem.note_region(frozenset({"poland"}))
