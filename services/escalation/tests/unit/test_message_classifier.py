import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.message_classifier import (
    KeywordClassifier,
    LanguageRules,
    MessageAssessment,
    MessageClassifier,
    MessageFlag,
    RuleMatch,
)

CLASSIFIER = KeywordClassifier()
ANGRY, THREATENING = MessageFlag.ANGRY, MessageFlag.THREATENING


@pytest.mark.parametrize(
    ("language", "text", "flags"),
    [
        ("en", "This is completely unacceptable, third time I write.", {ANGRY}),
        ("en", "If this is not fixed I will contact my lawyer.", {THREATENING}),
        ("en", "Thanks, that solved it!", set()),
        ("da", "Det er helt uacceptabelt, jeg er træt af at vente.", {ANGRY}),
        ("da", "Så kontakter jeg min advokat og Forbrugerrådet.", {THREATENING}),
        ("da", "Tak for hjælpen, alt virker nu.", set()),
        ("nb", "Dette er helt uakseptabelt og jeg er lei av dere.", {ANGRY}),
        ("nb", "Jeg kommer til å saksøke dere.", {THREATENING}),
        ("nb", "Hei, kan dere sende meg fakturaen?", set()),
        ("sv", "Er service är helt värdelös och oacceptabel.", {ANGRY}),
        ("sv", "Jag kommer att polisanmäla er.", {THREATENING}),
        ("sv", "Tack för snabb hjälp!", set()),
        ("fi", "Tämä on täysin naurettavaa palvelua.", {ANGRY}),
        ("fi", "Haastan teidät oikeuteen.", {THREATENING}),
        ("fi", "Kiitos avusta, kaikki toimii.", set()),
        ("fr", "C'est inadmissible, j'en ai marre de vos excuses.", {ANGRY}),
        ("fr", "Je vais porter plainte et prendre un avocat.", {THREATENING}),
        ("fr", "Merci beaucoup pour votre aide.", set()),
        ("pl", "To jest skandaliczne, jestem wściekły.", {ANGRY}),
        ("pl", "Podam was do sądu, mój prawnik już wie.", {THREATENING}),
        ("pl", "Dziękuję za szybką odpowiedź.", set()),
        ("de", "Das ist eine Unverschämtheit und eine Zumutung!", {ANGRY}),
        ("de", "Ich werde Sie verklagen, mein Anwalt meldet sich.", {THREATENING}),
        ("de", "Vielen Dank für Ihre Hilfe.", set()),
    ],
)
def test_detects_angry_and_threatening_messages_in_each_language(language, text, flags):
    assert CLASSIFIER.assess(text, language=language).flags == flags


def test_inflected_forms_match_stems():
    assert ANGRY in CLASSIFIER.assess("Olen todella vihaisena", language="fi").flags
    assert THREATENING in CLASSIFIER.assess("Pozwiemy was!", language="pl").flags


def test_words_only_match_whole_words():
    assert CLASSIFIER.assess("The issue is with the pursuer module", language="en").flags == set()
    assert CLASSIFIER.assess("Issue #4412 (suede shoes)", language="en").flags == set()


def test_the_language_selects_its_rules_and_unknown_language_checks_all():
    text = "Jeg vil kontakte min advokat"
    assert CLASSIFIER.assess(text, language="fr").flags == set()
    assert CLASSIFIER.assess(text, language=None).flags == {THREATENING}
    assert CLASSIFIER.assess(text, language="no").flags == {THREATENING}
    assert CLASSIFIER.assess(text, language="xx").flags == {THREATENING}


def test_shouting_with_exclamation_marks_is_angry_but_either_alone_is_not():
    assert CLASSIFIER.assess("WHERE IS MY PARCEL, IT IS LATE!!!", language="en").flags == {ANGRY}
    assert CLASSIFIER.assess("WHERE IS MY PARCEL, IT IS LATE", language="en").flags == set()
    assert CLASSIFIER.assess("Great news, thank you!!!", language="en").flags == set()


def test_the_matches_explain_the_decision():
    assessment = CLASSIFIER.assess("Unacceptable. My lawyer will call.", language="en")
    assert {match.flag for match in assessment.matches} == {ANGRY, THREATENING}
    assert all(match.language == "en" for match in assessment.matches)


class CombinedClassifier:
    """Several classifiers at once (e.g. keywords and a model); a flag from any one counts."""

    def __init__(self, classifiers: list[MessageClassifier]) -> None:
        self._classifiers = tuple(classifiers)

    def assess(self, text: str, *, language: str | None) -> MessageAssessment:
        assessments = [c.assess(text, language=language) for c in self._classifiers]
        return MessageAssessment(
            tuple(match for a in assessments for match in a.matches),
            frozenset(flag for a in assessments for flag in a.flags),
        )


class ProfanityModel:
    def assess(self, text, *, language):
        if "#$%" in text:
            return MessageAssessment(
                (RuleMatch(ANGRY, "model", language, 1.0),), frozenset({ANGRY})
            )
        return MessageAssessment()


def test_classifiers_are_pluggable_and_combined():
    combined = CombinedClassifier([CLASSIFIER, ProfanityModel()])
    assert combined.assess("what the #$%", language="en").flags == {ANGRY}
    assert combined.assess("see you in court", language="en").flags == {THREATENING}
    custom = KeywordClassifier(
        {"en": LanguageRules.from_terms("en", angry=["meh*"], threatening=[])}
    )
    assert custom.assess("Mehhh", language="en").flags == {ANGRY}


@given(st.text(alphabet=st.characters(categories=("Ll", "Nd", "Zs")), max_size=200))
def test_calm_lowercase_text_without_keywords_is_never_angry_by_signals(text):
    assessment = CLASSIFIER.assess(text, language="en")
    assert all(match.rule not in {"shouting", "!!!"} for match in assessment.matches)


@given(
    st.text(max_size=300), st.sampled_from(["en", "da", "fi", "fr", "pl", "nb", "sv", "de", None])
)
def test_any_text_is_assessed_without_error_and_flags_follow_matches(text, language):
    assessment = CLASSIFIER.assess(text, language=language)
    assert (THREATENING in assessment.flags) == any(
        match.flag is THREATENING for match in assessment.matches
    )


def test_a_flagged_message_names_the_words_the_customer_used_not_the_patterns():
    assessment = KeywordClassifier().assess(
        "Das ist eine Frechheit und völlig inakzeptabel.", language="de"
    )
    rules = {match.rule for match in assessment.matches}
    assert {"frechheit", "inakzeptabel"} <= rules
    assert not any(r"\w" in rule or "(?" in rule for rule in rules)
