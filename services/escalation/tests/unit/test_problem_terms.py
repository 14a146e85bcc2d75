"""Contacts' words as English pivot terms: Snowball stems, FreeDict dictionaries read from
their dictd files (both directions), inflected forms found by their stem's prefix, and
words no dictionary knows kept as themselves."""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
from pathlib import Path

import pytest
from prometheus_client import REGISTRY

from switchboard.escalation.adapters import freedict
from switchboard.escalation.adapters.freedict import cached_lexicon, load_lexicon, translations
from switchboard.escalation.adapters.problem_watch import ProblemWatch
from switchboard.escalation.domain.problem_terms import Lexicon

B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def b64(number: int) -> str:
    digits = ""
    while True:
        digits = B64[number % 64] + digits
        number //= 64
        if number == 0:
            return digits


def write_dictd(directory: Path, name: str, entries: dict[str, str]) -> None:
    """A dictionary in dictd's format: a gzip body and an index of offsets into it."""
    body, index = b"", []
    for headword, text in entries.items():
        encoded = f"{headword}\n{text}\n".encode()
        index.append(f"{headword}\t{b64(len(body))}\t{b64(len(encoded))}")
        body += encoded
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{name}.dict.dz").write_bytes(gzip.compress(body))
    (directory / f"{name}.index").write_text("\n".join(index) + "\n", encoding="utf-8")


def dictionaries(directory: Path) -> Path:
    write_dictd(
        directory, "freedict-dan-eng", {"betaling": "payment", "afvise": "1. reject\n2. refuse"}
    )
    write_dictd(
        directory,
        "freedict-pol-eng",
        {"płatność": "payment\nefekt, akt płacenia", "odrzucić": "reject, refuse\nnie przyjąć"},
    )
    write_dictd(directory, "freedict-eng-fra", {"payment": "paiement, versement"})
    return directory


def test_danish_polish_and_french_payments_meet_in_english(tmp_path):
    lexicon = load_lexicon(dictionaries(tmp_path))
    danish = lexicon.terms("da", "Betalingen bliver afvist, hjælp")
    polish = lexicon.terms("pl", "Płatność odrzucona")
    french = lexicon.terms("fr-CA", "Le paiement ne passe pas")
    assert {"payment", "reject"} <= danish
    assert "payment" in polish
    assert "payment" in french
    assert "hjælp" in danish  # no dictionary knows it: its own stem


def test_translations_take_the_senses_and_skip_definitions():
    assert translations("afvise /x/ <v>\n1. reject\n2. refuse, decline\n") == [
        "reject",
        "refuse",
        "decline",
    ]
    assert translations("kod /kɔt/ <n>\ncode\nsystem symboli\n") == ["code"]


def test_the_lexicon_is_cached_until_the_dictionaries_change(tmp_path):
    directory, cache = dictionaries(tmp_path / "dictd"), tmp_path / "lexicon.json"
    built = cached_lexicon(cache, directory)
    assert cache.exists()
    assert cached_lexicon(cache, directory) == built
    write_dictd(directory, "freedict-swe-eng", {"betalning": "payment"})
    assert "payment" in cached_lexicon(cache, directory).terms("sv", "betalning")
    assert cached_lexicon(cache, tmp_path / "none") == Lexicon()


def test_a_truncated_cache_is_built_again(tmp_path):
    """Found by review: replicas share the cache and a process killed while writing it
    left half a file; reading it raised, and that replica ran without its lexicon."""
    directory, cache = dictionaries(tmp_path / "dictd"), tmp_path / "lexicon.json"
    built = cached_lexicon(cache, directory)
    whole = cache.read_text(encoding="utf-8")
    cache.write_text(whole[: len(whole) // 2], encoding="utf-8")
    assert cached_lexicon(cache, directory) == built
    assert json.loads(cache.read_text(encoding="utf-8")) == json.loads(whole)


def test_a_cache_write_cut_short_leaves_the_file_there_was(tmp_path, monkeypatch):
    directory, cache = dictionaries(tmp_path / "dictd"), tmp_path / "lexicon.json"
    cached_lexicon(cache, directory)
    before = cache.read_text(encoding="utf-8")
    write_dictd(directory, "freedict-swe-eng", {"betalning": "payment"})  # to be written again

    def killed(*_: object) -> None:
        raise KeyboardInterrupt  # the process dies before the new file takes the old's place

    monkeypatch.setattr(freedict.os, "replace", killed)
    with pytest.raises(KeyboardInterrupt):
        cached_lexicon(cache, directory)
    assert cache.read_text(encoding="utf-8") == before
    assert [p.name for p in tmp_path.iterdir() if p.is_file()] == ["lexicon.json"]


async def test_a_lexicon_that_fails_to_load_is_logged_and_shown(tmp_path, caplog):
    directory = dictionaries(tmp_path / "dictd")
    (directory / "freedict-dan-eng.dict.dz").write_bytes(b"not gzip")
    watch = ProblemWatch(lexicon_cache=tmp_path / "lexicon.json", dictionaries=directory)
    with caplog.at_level(logging.ERROR):
        await watch.start_loading()
        assert watch._loading is not None
        with contextlib.suppress(Exception):
            await watch._loading
    assert watch.lexicon is None
    assert "problem lexicon not loaded" in caplog.text
    assert REGISTRY.get_sample_value("escalation_problem_lexicon_loaded") == 0


def test_english_is_its_own_pivot_and_unknown_languages_keep_their_words():
    lexicon = Lexicon({"da": {"betaling": ("payment",)}})
    assert lexicon.terms("en", "Payments failing") == {"payment", "fail"}
    assert lexicon.terms("xx", "Zahlung") == {"zahlung"}
