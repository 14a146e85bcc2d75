"""A customer's answer: what is acceptable, when it is low, and when it is a detractor."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.feedback.domain.templates import SCALES, Question, SurveyTemplate

MAX_COMMENT_CHARS = 2000


class InvalidAnswer(ValueError):
    """The answer cannot be accepted; the message says why, for the customer's client."""


@dataclass(frozen=True)
class Answer:
    csat: int | None = None
    nps: int | None = None
    ces: int | None = None
    comment: str | None = None
    reasons: tuple[str, ...] = ()

    def score(self, question: Question) -> int | None:
        return {Question.CSAT: self.csat, Question.NPS: self.nps, Question.CES: self.ces}[question]


def _storable(text: str) -> bool:
    """Text a database can hold: no NUL character, and no lone surrogate (which a JSON escape
    like ``\\ud800`` can carry)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def validate_answer(answer: Answer, *, template: SurveyTemplate) -> Answer:
    """Check ranges, asked questions and reason codes; return the answer with a tidy comment."""
    asked = {q.question for q in template.questions}
    for question, (low, high) in SCALES.items():
        value = answer.score(question)
        if value is None:
            continue
        if question not in asked:
            raise InvalidAnswer(f"{question.value} was not asked in this survey")
        if not low <= value <= high:
            raise InvalidAnswer(f"{question.value} must be between {low} and {high}")
    comment = (answer.comment or "").strip() or None
    if comment is not None and len(comment) > MAX_COMMENT_CHARS:
        raise InvalidAnswer(f"the comment is longer than {MAX_COMMENT_CHARS} characters")
    if comment is not None and not _storable(comment):
        raise InvalidAnswer("the comment holds a NUL character or a lone surrogate")
    known = {choice.code for choice in template.reasons}
    unknown = sorted(set(answer.reasons) - known)
    if unknown:
        raise InvalidAnswer(f"unknown reasons: {', '.join(unknown)}")
    if all(answer.score(q) is None for q in Question) and comment is None:
        raise InvalidAnswer("an answer needs a score or a comment")
    reasons = tuple(dict.fromkeys(answer.reasons))
    return Answer(answer.csat, answer.nps, answer.ces, comment, reasons)


@dataclass(frozen=True)
class Threshold:
    """A score at or below ``at_most`` on ``question`` is low."""

    question: Question
    at_most: int


@dataclass(frozen=True)
class DetractorRule:
    """Thresholds at or below which an answer raises a detractor alert (configurable)."""

    thresholds: tuple[Threshold, ...] = (
        Threshold(Question.NPS, 6),
        Threshold(Question.CSAT, 2),
        Threshold(Question.CES, 2),
    )

    def breached(self, answer: Answer) -> Threshold | None:
        """The first threshold the answer falls to, in the rule's order; ``None`` if none."""
        for threshold in self.thresholds:
            value = answer.score(threshold.question)
            if value is not None and value <= threshold.at_most:
                return threshold
        return None
