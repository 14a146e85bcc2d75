"""What a contact's text is about, as terms that mean the same in every language.

Each word is stemmed in its language (Snowball) and mapped through bilingual dictionaries
to English stems, the pivot: Danish "betaling", Polish "płatność" and French "paiement"
all become ``payment``. A word no dictionary knows keeps its own stem, so names, codes and
loan words ("app", "sms", "mobilepay") still meet across languages.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer

SNOWBALL: Mapping[str, str] = {
    "da": "danish",
    "sv": "swedish",
    "nb": "norwegian",
    "nn": "norwegian",
    "no": "norwegian",
    "fi": "finnish",
    "fr": "french",
    "pl": "polish",
    "de": "german",
    "en": "english",
}
WORD = re.compile(r"[^\W_]{3,}", re.UNICODE)
PIVOTS_PER_WORD = 6
BACK_OFF = 2
"""An inflected form the stemmer leaves longer than the headword's stem ("afvist" and
"afvis-e") finds it by dropping up to this many letters, down to ``MIN_STEM`` letters."""
MIN_STEM = 4


def base_language(tag: str) -> str:
    """``fr-CA`` → ``fr``."""
    return tag.split("-", 1)[0].lower()


@lru_cache(maxsize=16)
def _stemmer(language: str) -> snowballstemmer.BaseStemmer | None:
    algorithm = SNOWBALL.get(language)
    return snowballstemmer.stemmer(algorithm) if algorithm else None


def stem(language: str, word: str) -> str:
    """The word's Snowball stem in its language (lower-cased; unchanged without a stemmer)."""
    word = unicodedata.normalize("NFC", word.lower())
    stemmer = _stemmer(base_language(language))
    return stemmer.stemWord(word) if stemmer else word


def words(text: str) -> list[str]:
    return [m.group(0).lower() for m in WORD.finditer(text) if not m.group(0).isdigit()]


@dataclass(frozen=True)
class Lexicon:
    """Language → stem → English pivot stems, from bilingual dictionaries."""

    pivots: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)

    def terms_of_word(self, language: str, word: str) -> tuple[str, ...]:
        language = base_language(language)
        own = stem(language, word)
        if language == "en":
            return (own,)
        known = self.pivots.get(language, {})
        if own in known:
            return known[own]
        for cut in range(1, BACK_OFF + 1):
            shorter = own[: len(own) - cut]
            if len(shorter) < MIN_STEM:
                break
            if shorter in known:
                return known[shorter]
        return (own,)

    def terms(self, language: str, text: str) -> frozenset[str]:
        """Every pivot term of the text's words (each once: a contact counts once per term)."""
        return frozenset(t for w in words(text) for t in self.terms_of_word(language, w))

    @property
    def languages(self) -> frozenset[str]:
        return frozenset(self.pivots) | {"en"}


def add_translation(
    table: dict[str, dict[str, list[str]]], *, language: str, word: str, english: str
) -> None:
    """Record that ``word`` (in ``language``) can mean the single English word ``english``."""
    if not WORD.fullmatch(word) or not WORD.fullmatch(english):
        return
    pivots = table.setdefault(language, {}).setdefault(stem(language, word), [])
    pivot = stem("en", english)
    if pivot not in pivots and len(pivots) < PIVOTS_PER_WORD:
        pivots.append(pivot)


def lexicon_of(table: Mapping[str, Mapping[str, Sequence[str]]]) -> Lexicon:
    return Lexicon({lang: {s: tuple(p) for s, p in stems.items()} for lang, stems in table.items()})
