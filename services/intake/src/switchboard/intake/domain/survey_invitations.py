"""The words that invite a customer to a survey, in their language (English when intake has
none for it): a subject for e-mail and a short text with the survey's link."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Invitation:
    subject: str
    text: str
    """With ``{link}`` where the survey's address goes."""


INVITATIONS = {
    "en": Invitation(
        "How did we do?",
        "Thank you for contacting us. How did we do? Two minutes of your time help us: {link}",
    ),
    "da": Invitation(
        "Hvordan klarede vi det?",
        "Tak fordi du kontaktede os. Hvordan klarede vi det? To minutter hjælper os: {link}",
    ),
    "sv": Invitation(
        "Hur gick det?",
        "Tack för att du kontaktade oss. Hur gick det? Två minuter av din tid hjälper oss: {link}",
    ),
    "nb": Invitation(
        "Hvordan gjorde vi det?",
        "Takk for at du kontaktet oss. Hvordan gjorde vi det? To minutter hjelper oss: {link}",
    ),
    "fi": Invitation(
        "Miten onnistuimme?",
        "Kiitos yhteydenotostasi. Miten onnistuimme? Kaksi minuuttia auttaa meitä: {link}",
    ),
    "de": Invitation(
        "Wie war unser Service?",
        "Danke für Ihre Anfrage. Wie war unser Service? Zwei Minuten helfen uns: {link}",
    ),
    "fr": Invitation(
        "Votre avis compte",
        "Merci de nous avoir contactés. Comment avons-nous fait ? "
        "Deux minutes nous aident : {link}",
    ),
    "pl": Invitation(
        "Jak nam poszło?",
        "Dziękujemy za kontakt. Jak nam poszło? Dwie minuty pomogą nam: {link}",
    ),
}


def invitation_for(language: str) -> tuple[str, Invitation]:
    """The language used and its invitation: the tag's primary language (``nb-NO`` → nb;
    ``no`` → nb), else English."""
    primary = language.split("-")[0].lower()
    primary = {"no": "nb", "nn": "nb"}.get(primary, primary)
    if primary in INVITATIONS:
        return primary, INVITATIONS[primary]
    return "en", INVITATIONS["en"]
