import pytest

from switchboard.intake.domain.language import (
    UNDETERMINED,
    ContactLanguageDetector,
    UnknownLanguage,
)


@pytest.fixture(scope="module")
def detector():
    return ContactLanguageDetector(languages=["da", "fi", "fr", "pl", "nb", "sv", "de", "en"])


@pytest.mark.parametrize(
    ("text", "tag"),
    [
        ("Hej, jeg har stadig ikke modtaget min pakke, og ingen svarer på mine mails.", "da"),
        ("Hei, tilaukseni ei ole vieläkään saapunut ja haluaisin tietää missä se on.", "fi"),
        ("Bonjour, ma commande n'est toujours pas arrivée et personne ne me répond.", "fr"),
        ("Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada na moje maile.", "pl"),
        ("Hei, jeg har fortsatt ikke fått pakken min, og ingen svarer på e-postene mine.", "nb"),
        ("Hej, jag har fortfarande inte fått mitt paket och ingen svarar på mina mejl.", "sv"),
        ("Hallo, mein Paket ist immer noch nicht angekommen und niemand antwortet mir.", "de"),
        ("Hello, my parcel still has not arrived and nobody answers my emails at all.", "en"),
    ],
)
def test_detects_the_configured_languages(detector, text, tag):
    guess = detector.detect(text)
    assert guess.tag == tag
    assert guess.determined
    assert 0.35 <= guess.confidence <= 1.0


@pytest.mark.parametrize("text", ["", "ok", "?!", "12345 678 90", "👍👍👍"])
def test_short_texts_are_undetermined(detector, text):
    guess = detector.detect(text)
    assert guess.tag == UNDETERMINED
    assert guess.confidence == 0.0
    assert not guess.determined


def test_only_configured_languages_are_answered():
    nordic = ContactLanguageDetector(languages=["da", "sv"], preload=False)
    guess = nordic.detect("Bonjour, ma commande n'est toujours pas arrivée, merci de répondre.")
    assert guess.tag in {"da", "sv", UNDETERMINED}
    assert nordic.languages == ("da", "sv")


def test_an_ambiguous_text_has_low_confidence(detector):
    ambiguous = detector.detect("Hej hej hallo")
    clear = detector.detect("Dzień dobry, moja paczka nadal nie dotarła do mnie.")
    assert ambiguous.confidence < clear.confidence


def test_unknown_or_too_few_languages_are_refused():
    with pytest.raises(UnknownLanguage):
        ContactLanguageDetector(languages=["da", "xx"], preload=False)
    with pytest.raises(UnknownLanguage):
        ContactLanguageDetector(languages=["da"], preload=False)
