"""Language detection with lingua, restricted to the languages the operator configures.

Building a detector with preloaded models takes seconds, so one is built at start-up
and shared; detection itself is thread-safe and fast.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from lingua import IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

UNDETERMINED = "und"
"""The BCP 47 tag for an undetermined language."""
DEFAULT_LANGUAGES = ("da", "de", "en", "fi", "fr", "nb", "pl", "sv")
_SAMPLE_CHARACTERS = 2_000


@dataclass(frozen=True)
class LanguageGuess:
    tag: str
    confidence: float

    @property
    def determined(self) -> bool:
        return self.tag != UNDETERMINED


class UnknownLanguage(ValueError):
    """A configured language tag that lingua does not know."""


def lingua_language(tag: str) -> Language:
    try:
        return Language.from_iso_code_639_1(IsoCode639_1.from_str(tag.strip().lower()))
    except ValueError as error:
        raise UnknownLanguage(f"lingua cannot detect {tag!r}") from error


class ContactLanguageDetector:
    """Detects one of the configured languages, or ``und`` when the text says too little."""

    def __init__(
        self,
        *,
        languages: Iterable[str] = DEFAULT_LANGUAGES,
        min_letters: int = 12,
        min_confidence: float = 0.35,
        preload: bool = True,
    ) -> None:
        chosen = sorted({lingua_language(tag) for tag in languages}, key=lambda lang: lang.name)
        if len(chosen) < 2:
            raise UnknownLanguage("configure at least two languages to choose between")
        builder = LanguageDetectorBuilder.from_languages(*chosen)
        if preload:
            builder = builder.with_preloaded_language_models()
        self._detector: LanguageDetector = builder.build()
        self._min_letters = min_letters
        self._min_confidence = min_confidence
        self.languages = tuple(lang.iso_code_639_1.name.lower() for lang in chosen)

    def detect(self, text: str) -> LanguageGuess:
        sample = text[:_SAMPLE_CHARACTERS]
        if not _has_letters(sample, self._min_letters):
            return LanguageGuess(UNDETERMINED, 0.0)
        values = self._detector.compute_language_confidence_values(sample)
        if not values:
            return LanguageGuess(UNDETERMINED, 0.0)
        best = values[0]
        confidence = round(float(best.value), 4)
        if confidence < self._min_confidence:
            return LanguageGuess(UNDETERMINED, confidence)
        return LanguageGuess(best.language.iso_code_639_1.name.lower(), confidence)


def _has_letters(text: str, at_least: int) -> bool:
    """Whether ``text`` has ``at_least`` letters; stops counting there (a long e-mail would
    otherwise cost more to count than a short one costs to detect)."""
    letters = 0
    for character in text:
        if character.isalpha():
            letters += 1
            if letters >= at_least:
                return True
    return letters >= at_least
