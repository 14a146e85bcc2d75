"""Detecting angry and threatening messages: a pluggable classifier interface and a
multilingual keyword-and-rule classifier (en, da, fi, fr, pl, nb, sv, de)."""

from __future__ import annotations

import enum
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from switchboard.escalation.domain.message_vocabulary import ANGRY_TERMS, THREATENING_TERMS

SHOUTING_MIN_LETTERS = 12
SHOUTING_UPPERCASE_SHARE = 0.7
ANGER_THRESHOLD = 1.0
KEYWORD_WEIGHT = 1.0
SIGNAL_WEIGHT = 0.5
NORWEGIAN_ALIASES = {"no": "nb", "nn": "nb"}


class MessageFlag(enum.StrEnum):
    ANGRY = "angry"
    THREATENING = "threatening"


@dataclass(frozen=True)
class RuleMatch:
    flag: MessageFlag
    rule: str
    language: str | None
    weight: float


@dataclass(frozen=True)
class MessageAssessment:
    matches: tuple[RuleMatch, ...] = ()
    flags: frozenset[MessageFlag] = field(default_factory=frozenset)

    @property
    def is_flagged(self) -> bool:
        return bool(self.flags)


class MessageClassifier(Protocol):
    def assess(self, text: str, *, language: str | None) -> MessageAssessment: ...


def _term_pattern(term: str) -> re.Pattern[str]:
    words = []
    for word in term.casefold().split():
        stem = word.removesuffix("*")
        words.append(re.escape(stem) + (r"\w*" if word.endswith("*") else ""))
    return re.compile(r"(?<!\w)" + r"\W+".join(words) + r"(?!\w)")


@dataclass(frozen=True)
class LanguageRules:
    language: str
    angry: tuple[re.Pattern[str], ...]
    threatening: tuple[re.Pattern[str], ...]

    @classmethod
    def from_terms(
        cls, language: str, *, angry: Iterable[str], threatening: Iterable[str]
    ) -> LanguageRules:
        return cls(
            language,
            tuple(_term_pattern(term) for term in angry),
            tuple(_term_pattern(term) for term in threatening),
        )


def default_rule_sets() -> dict[str, LanguageRules]:
    return {
        language: LanguageRules.from_terms(
            language, angry=ANGRY_TERMS[language], threatening=THREATENING_TERMS[language]
        )
        for language in ANGRY_TERMS
    }


def normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text).casefold()


def _is_shouting(text: str) -> bool:
    letters = [char for char in text if char.isalpha() and (char.isupper() or char.islower())]
    if len(letters) < SHOUTING_MIN_LETTERS:
        return False
    return sum(char.isupper() for char in letters) / len(letters) >= SHOUTING_UPPERCASE_SHARE


class KeywordClassifier:
    """Keywords and phrases per language plus language-independent signals.

    With a known language only its rules apply; without one, every language's rules do.
    A threatening expression flags the message on its own; anger needs a score of 1: one
    angry expression, or shouting together with repeated exclamation marks.
    """

    def __init__(self, rule_sets: Mapping[str, LanguageRules] | None = None) -> None:
        self._rule_sets = dict(rule_sets if rule_sets is not None else default_rule_sets())

    def _rules_for(self, language: str | None) -> Iterable[LanguageRules]:
        if language is None:
            return self._rule_sets.values()
        primary = language.lower().split("-")[0]
        primary = NORWEGIAN_ALIASES.get(primary, primary)
        rules = self._rule_sets.get(primary)
        return (rules,) if rules else self._rule_sets.values()

    def assess(self, text: str, *, language: str | None) -> MessageAssessment:
        folded = normalise(text)
        matches: list[RuleMatch] = []
        for rules in self._rules_for(language):
            # The rule named is what the customer wrote, for the coordinator reading it.
            matches += [
                RuleMatch(MessageFlag.ANGRY, found.group(0), rules.language, KEYWORD_WEIGHT)
                for pattern in rules.angry
                if (found := pattern.search(folded))
            ]
            matches += [
                RuleMatch(MessageFlag.THREATENING, found.group(0), rules.language, 1.0)
                for pattern in rules.threatening
                if (found := pattern.search(folded))
            ]
        if _is_shouting(text):
            matches.append(RuleMatch(MessageFlag.ANGRY, "shouting", None, SIGNAL_WEIGHT))
        if re.search(r"[!?]{3,}", text):
            matches.append(RuleMatch(MessageFlag.ANGRY, "!!!", None, SIGNAL_WEIGHT))
        return _assessment(matches)


def _assessment(matches: list[RuleMatch]) -> MessageAssessment:
    flags = set()
    if any(match.flag is MessageFlag.THREATENING for match in matches):
        flags.add(MessageFlag.THREATENING)
    anger = sum(match.weight for match in matches if match.flag is MessageFlag.ANGRY)
    if anger >= ANGER_THRESHOLD:
        flags.add(MessageFlag.ANGRY)
    return MessageAssessment(tuple(matches), frozenset(flags))
