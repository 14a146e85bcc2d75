"""Bilingual dictionaries from FreeDict (Debian's dict-freedict-* packages, dictd format:
an index of headword, base64 offset and length into a gzip-compressed body) read into the
pivot lexicon that groups contacts' texts across languages."""

from __future__ import annotations

import gzip
import json
import logging
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from switchboard.escalation.domain.problem_terms import Lexicon, add_translation, lexicon_of

log = logging.getLogger(__name__)

DICTD = Path("/usr/share/dictd")
FREEDICT_CODES: Mapping[str, str] = {
    "da": "dan",
    "sv": "swe",
    "nb": "nor",
    "fi": "fin",
    "fr": "fra",
    "pl": "pol",
    "de": "deu",
}
"""Our language tags → FreeDict's; each is read both ways where installed (xxx-eng and
eng-xxx). Norwegian exists only as eng-nor."""
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_HEADER = re.compile(r"^\S.*?(\s/.*?/)?(\s<[^>]*>)?\s*$")
_NUMBERED = re.compile(r"^\s*\d+\.\s*(.*)$")
MAX_ENTRIES = 200_000


def _number(text: str) -> int:
    value = 0
    for char in text:
        value = value * 64 + _B64.index(char)
    return value


def entries(directory: Path, name: str) -> Iterator[tuple[str, list[str]]]:
    """(headword, translations of its first senses) of one dictionary."""
    index, body = directory / f"{name}.index", directory / f"{name}.dict.dz"
    if not index.exists() or not body.exists():
        return
    data = gzip.decompress(body.read_bytes())
    with index.open(encoding="utf-8") as lines:
        for count, line in enumerate(lines):
            if count >= MAX_ENTRIES:
                break
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00"):
                continue
            start, length = _number(parts[1]), _number(parts[2])
            text = data[start : start + length].decode("utf-8", "replace")
            yield parts[0], translations(text)


def translations(entry: str) -> list[str]:
    """The translation lines of an entry: its numbered senses, or the line after the
    headword (FreeDict's Finnish and Polish add a definition in the source language after
    each sense, which is skipped)."""
    lines = [line.strip() for line in entry.split("\n")[1:] if line.strip()]
    numbered = [m.group(1) for line in lines if (m := _NUMBERED.match(line))]
    chosen = numbered[:3] if numbered else lines[:1]
    return [word.strip() for line in chosen for word in line.split(",") if word.strip()]


def load_lexicon(directory: Path = DICTD, languages: Mapping[str, str] = FREEDICT_CODES) -> Lexicon:
    """The pivot lexicon of every installed dictionary pair (an empty one without any)."""
    table: dict[str, dict[str, list[str]]] = {}
    for language, code in languages.items():
        for headword, english in entries(directory, f"freedict-{code}-eng"):
            for target in english:
                add_translation(table, language=language, word=headword, english=target)
        for headword, foreign in entries(directory, f"freedict-eng-{code}"):
            for word in foreign:
                add_translation(table, language=language, word=word, english=headword)
    if not table:
        log.warning(
            "no FreeDict dictionaries in %s: problems group by shared words only", directory
        )
    return lexicon_of(table)


def cached_lexicon(cache: Path, directory: Path = DICTD) -> Lexicon:
    """The lexicon from ``cache`` if it was built from the dictionaries installed now, else
    built (stemming every headword takes a while) and written there. Without dictionaries,
    an empty lexicon (contacts then meet on shared words only) and no cache."""
    installed = (
        sorted(f"{p.name}:{p.stat().st_size}" for p in directory.glob("freedict-*.index"))
        if directory.is_dir()
        else []
    )
    if not installed:
        log.warning(
            "no FreeDict dictionaries in %s: problems group by shared words only", directory
        )
        return Lexicon()
    stored = _stored_lexicon(cache, installed)
    if stored is not None:
        return stored
    lexicon = load_lexicon(directory)
    _store_lexicon(cache, {"dictionaries": installed, "pivots": lexicon.pivots})
    return lexicon


def _stored_lexicon(cache: Path, installed: list[str]) -> Lexicon | None:
    """The cached lexicon if it was built from ``installed``; None when there is none, it
    is another's, or it cannot be read (then it is built again and replaces it)."""
    try:
        stored = json.loads(cache.read_text(encoding="utf-8"))
        if stored.get("dictionaries") == installed:
            return lexicon_of(stored["pivots"])
    except FileNotFoundError:
        pass
    except (OSError, ValueError, AttributeError, KeyError, TypeError) as error:
        log.warning("problem lexicon cache %s unreadable, building it again: %r", cache, error)
    return None


def _store_lexicon(cache: Path, payload: dict[str, object]) -> None:
    """Written whole or not at all: replicas share the directory and a process may be
    killed while it writes (a reader then finds the old file or none, never half of one)."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(
            "w", encoding="utf-8", dir=cache.parent, prefix=f".{cache.name}.", delete=False
        ) as temporary:
            json.dump(payload, temporary, ensure_ascii=False)
        try:
            os.replace(temporary.name, cache)
        except BaseException:
            os.unlink(temporary.name)
            raise
    except OSError as error:
        log.warning("problem lexicon not cached in %s: %s", cache, error)
