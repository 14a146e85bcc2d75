import pytest

from switchboard.feedback.domain.template_texts import REASON_CODES, TEXTS
from switchboard.feedback.domain.templates import (
    TEMPLATES,
    Question,
    template_for,
    template_language,
)

REQUIRED = {"da", "fi", "fr", "pl", "nb", "sv", "de", "en"}


def test_every_required_language_has_a_template():
    assert set(TEMPLATES) >= REQUIRED


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("da", "da"),
        ("fr-CA", "fr"),
        ("FI", "fi"),
        ("sv-FI", "sv"),
        ("no", "nb"),
        ("nn", "nb"),
        ("nb-NO", "nb"),
        ("pl_PL", "pl"),
        ("ja", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_the_template_follows_the_primary_language_and_falls_back_to_english(tag, language):
    assert template_language(tag) == language
    assert template_for(tag).language == language


@pytest.mark.parametrize("language", sorted(REQUIRED - {"en"}))
def test_translations_are_not_english_copies(language):
    english, translated = TEXTS["en"], TEXTS[language]
    for name in ("title", "csat", "nps", "ces", "comment", "reasons", "thanks"):
        assert translated[name] != english[name], f"{language}.{name} is untranslated"


@pytest.mark.parametrize("language", sorted(REQUIRED))
def test_each_template_asks_the_three_scales_and_offers_every_reason(language):
    template = TEMPLATES[language]
    assert [(q.question, q.minimum, q.maximum) for q in template.questions] == [
        (Question.CSAT, 1, 5),
        (Question.NPS, 0, 10),
        (Question.CES, 1, 7),
    ]
    assert tuple(choice.code for choice in template.reasons) == REASON_CODES
    assert all(choice.label.strip() for choice in template.reasons)
    assert all(q.minimum_label and q.maximum_label for q in template.questions)


def test_known_phrases_per_language():
    assert template_for("da").question(Question.CSAT).text.startswith("Hvor tilfreds")
    assert "recommandiez" in template_for("fr").question(Question.NPS).text
    assert template_for("fi").submit_label == "Lähetä"
    assert template_for("pl").thanks == "Dziękujemy za opinię!"
    assert "anbefale" in template_for("nb").question(Question.NPS).text
    assert template_for("sv").question(Question.CSAT).text.startswith("Hur nöjd")
    assert "weiterempfehlen" in template_for("de").question(Question.NPS).text


def test_a_survey_can_ask_a_subset_of_questions_in_its_own_order():
    template = template_for("da").asking((Question.NPS, Question.CSAT))
    assert [q.question for q in template.questions] == [Question.NPS, Question.CSAT]
    assert template.language == "da"
