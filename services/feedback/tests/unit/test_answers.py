import pytest

from switchboard.feedback.domain.answers import (
    Answer,
    DetractorRule,
    InvalidAnswer,
    Threshold,
    validate_answer,
)
from switchboard.feedback.domain.templates import Question, template_for

TEMPLATE = template_for("en")


def test_a_full_answer_is_accepted_and_tidied():
    answer = validate_answer(
        Answer(
            csat=2, nps=3, ces=2, comment="  slow  ", reasons=("slow_response", "slow_response")
        ),
        template=TEMPLATE,
    )
    assert answer == Answer(csat=2, nps=3, ces=2, comment="slow", reasons=("slow_response",))


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (Answer(csat=0), "csat must be between 1 and 5"),
        (Answer(csat=6), "csat must be between 1 and 5"),
        (Answer(nps=11), "nps must be between 0 and 10"),
        (Answer(nps=-1), "nps must be between 0 and 10"),
        (Answer(ces=8), "ces must be between 1 and 7"),
        (Answer(), "needs a score or a comment"),
        (Answer(comment="   "), "needs a score or a comment"),
        (Answer(csat=1, reasons=("price",)), "unknown reasons: price"),
        (Answer(comment="x" * 2001), "longer than 2000"),
        (Answer(csat=4, comment="nul\x00inside"), "NUL character"),
        (Answer(csat=4, comment="lone \ud800 surrogate"), "lone surrogate"),
    ],
)
def test_bad_answers_are_refused_with_a_reason(answer, message):
    with pytest.raises(InvalidAnswer, match=message):
        validate_answer(answer, template=TEMPLATE)


def test_a_question_that_was_not_asked_cannot_be_answered():
    with pytest.raises(InvalidAnswer, match="ces was not asked"):
        validate_answer(Answer(ces=3), template=TEMPLATE.asking((Question.CSAT,)))


def test_a_comment_alone_is_an_answer():
    assert validate_answer(Answer(comment="thanks"), template=TEMPLATE).comment == "thanks"


@pytest.mark.parametrize(
    ("answer", "question"),
    [
        (Answer(nps=6, csat=1), Question.NPS),
        (Answer(nps=7, csat=2), Question.CSAT),
        (Answer(csat=3, ces=1), Question.CES),
        (Answer(nps=0), Question.NPS),
    ],
)
def test_the_default_rule_names_the_first_threshold_breached(answer, question):
    assert DetractorRule().breached(answer).question is question


@pytest.mark.parametrize(
    "answer", [Answer(nps=7, csat=3, ces=3), Answer(comment="meh"), Answer(nps=10, csat=5, ces=7)]
)
def test_passives_and_promoters_are_not_detractors(answer):
    assert DetractorRule().breached(answer) is None


def test_the_detractor_threshold_is_configurable():
    strict = DetractorRule(thresholds=(Threshold(Question.CSAT, 3),))
    assert strict.breached(Answer(csat=3)) == Threshold(Question.CSAT, 3)
    assert strict.breached(Answer(nps=0)) is None
