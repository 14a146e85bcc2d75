"""The new text of an e-mail: quoted history and the signature cut off, so that an agent
reads what the customer wrote this time.

Cut at the first of: an attribution line ("On … wrote:", "Am … schrieb …:", "Den … skrev
…:", "… kirjoitti:", "Le … a écrit :", "… napisał(a):", "W dniu … pisze:"), possibly
wrapped over two lines, with a time or an address in it or a ``>`` quote right after it;
an "Original Message" separator; an Outlook header block ("From:" then "Sent:"/"Date:" within a few
lines, in the same languages); a "-- " signature delimiter. ``>``-quoted lines are dropped
wherever they are. When nothing is cut, or nothing would be left, the text is kept as it is.

mail-parser-reply was considered: version 1.36 has no Finnish or Norwegian, knows only
"Dnia … napisał(a):" in Polish (not Gmail's or Thunderbird's), and treats greetings such as
"Tak" or "Thanks," as the start of a signature; hence this table.
"""

from __future__ import annotations

import re

_VERB = (
    r"(?:wrote|schrieb|skrev|kirjoitti|a\s+[ée]crit|napisa[łl](?:\(a\)|a)?|pisze|nades[łl]a[łl])"
)
_ATTRIBUTION = re.compile(rf"^.{{0,300}}(?<!\w){_VERB}(?!\w).{{0,300}}:\s*$", re.IGNORECASE)
_TIME_OR_ADDRESS = re.compile(r"\d{1,2}:\d{2}|\bklo?\.?\s*\d{1,2}[.:]\d{2}|\S@\S")
_SEPARATOR = re.compile(
    r"^\s*(?:-{3,}\s*(?:original message|ursprüngliche nachricht|oprindelig meddelelse|"
    r"opprinnelig melding|alkuperäinen viesti|message d'origine|wiadomość oryginalna|"
    r"oryginalna wiadomość|ursprungligt meddelande)\s*-{3,}|_{20,})\s*$",
    re.IGNORECASE,
)
_OUTLOOK_FROM = re.compile(r"^\W{0,2}(?:from|von|fra|lähettäjä|de|od|från)\s*:\W{0,2}\S", re.I)
_OUTLOOK_SENT = re.compile(
    r"^\W{0,2}(?:sent|date|gesendet|datum|sendt|dato|lähetetty|päivämäärä|envoyé|"
    r"wysłano|wysłane|data|skickat)\s*:",
    re.IGNORECASE,
)
_SIGNATURE = re.compile(r"^--\s*$")


def new_text(text: str) -> str:
    """The part of the text the sender wrote this time."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = [line for line in lines[: _history_start(lines)] if not _quoted(line)]
    if len(kept) == len(lines):
        return text
    stripped = "\n".join(line.rstrip() for line in kept).strip()
    return stripped or text.strip()


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _history_start(lines: list[str]) -> int:
    for index, line in enumerate(lines):
        if index > 0 and _SIGNATURE.match(line):
            return index
        if _SEPARATOR.match(line) or _outlook_block(lines, index):
            return index
        if _attribution(line, lines[index + 1 : index + 2]):
            return index
        if _wrapped_attribution(lines, index):
            return index
    return len(lines)


def _wrapped_attribution(lines: list[str], index: int) -> bool:
    """Gmail wraps a long attribution line; its first half already holds the time."""
    line, wrapped = lines[index], lines[index + 1 : index + 2]
    if not wrapped or line.rstrip().endswith(":") or not _TIME_OR_ADDRESS.search(line):
        return False
    return _attribution(f"{line} {wrapped[0]}", lines[index + 2 : index + 3])


def _attribution(line: str, following: list[str]) -> bool:
    if not _ATTRIBUTION.match(line):
        return False
    return bool(_TIME_OR_ADDRESS.search(line)) or any(_quoted(each) for each in following)


def _outlook_block(lines: list[str], index: int) -> bool:
    if not _OUTLOOK_FROM.match(lines[index]):
        return False
    return any(_OUTLOOK_SENT.match(each) for each in lines[index + 1 : index + 5])
