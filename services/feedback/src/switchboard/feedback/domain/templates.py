"""Survey templates: the questions, scales and reason choices in the customer's language."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from switchboard.feedback.domain.template_texts import REASON_CODES, TEXTS

FALLBACK_LANGUAGE = "en"
LANGUAGE_ALIASES = {"no": "nb", "nn": "nb"}
"""Norwegian without a written standard, and Nynorsk readers, get the Bokmål template."""


class Question(StrEnum):
    CSAT = "csat"
    NPS = "nps"
    CES = "ces"


SCALES: dict[Question, tuple[int, int]] = {
    Question.CSAT: (1, 5),
    Question.NPS: (0, 10),
    Question.CES: (1, 7),
}


@dataclass(frozen=True)
class ScaleQuestion:
    question: Question
    text: str
    minimum: int
    maximum: int
    minimum_label: str
    maximum_label: str


@dataclass(frozen=True)
class ReasonChoice:
    code: str
    label: str


@dataclass(frozen=True)
class SurveyTemplate:
    language: str
    title: str
    questions: tuple[ScaleQuestion, ...]
    comment_prompt: str
    reasons_prompt: str
    reasons: tuple[ReasonChoice, ...]
    submit_label: str
    thanks: str

    def question(self, question: Question) -> ScaleQuestion:
        return next(q for q in self.questions if q.question is question)

    def asking(self, questions: tuple[Question, ...]) -> SurveyTemplate:
        """The same template restricted to ``questions``, in their given order."""
        kept = tuple(self.question(q) for q in questions)
        return SurveyTemplate(
            language=self.language,
            title=self.title,
            questions=kept,
            comment_prompt=self.comment_prompt,
            reasons_prompt=self.reasons_prompt,
            reasons=self.reasons,
            submit_label=self.submit_label,
            thanks=self.thanks,
        )


def _build(language: str) -> SurveyTemplate:
    texts = TEXTS[language]

    def text(name: str) -> str:
        value = texts[name]
        assert isinstance(value, str)
        return value

    def pair(name: str) -> tuple[str, ...]:
        value = texts[name]
        assert isinstance(value, tuple)
        return value

    questions = tuple(
        ScaleQuestion(
            question=question,
            text=text(question.value),
            minimum=low,
            maximum=high,
            minimum_label=pair(f"{question.value}_scale")[0],
            maximum_label=pair(f"{question.value}_scale")[1],
        )
        for question, (low, high) in SCALES.items()
    )
    reasons = tuple(
        ReasonChoice(code=code, label=label)
        for code, label in zip(REASON_CODES, pair("reason_labels"), strict=True)
    )
    return SurveyTemplate(
        language=language,
        title=text("title"),
        questions=questions,
        comment_prompt=text("comment"),
        reasons_prompt=text("reasons"),
        reasons=reasons,
        submit_label=text("submit"),
        thanks=text("thanks"),
    )


TEMPLATES: dict[str, SurveyTemplate] = {language: _build(language) for language in TEXTS}


def template_language(language_tag: str | None) -> str:
    """The template language for a BCP 47 tag: its primary subtag, else English."""
    primary = (language_tag or "").split("-")[0].split("_")[0].strip().lower()
    primary = LANGUAGE_ALIASES.get(primary, primary)
    return primary if primary in TEMPLATES else FALLBACK_LANGUAGE


def template_for(language_tag: str | None) -> SurveyTemplate:
    return TEMPLATES[template_language(language_tag)]
