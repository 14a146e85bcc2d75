"""Header values of a parsed message as mail clients really write them: raw 8-bit bytes
decoded (UTF-8, else Windows-1252, else Latin-1), repeated headers read together, broken
addresses and Message-IDs skipped rather than refused."""

from __future__ import annotations

import email.policy
import re
from collections.abc import Iterable
from email.headerregistry import Address
from email.message import Message

from switchboard.intake.domain.identity import normalise_email

_POLICY = email.policy.default
_ANGLED_ID = re.compile(r"<\s*([^<>\s]{1,996})\s*>")
_BARE_ID = re.compile(r"(?<![<\w.@-])([^<>\s,;]{1,994}@[^<>\s,;]{1,994})(?![\w>])")
_LONGEST_ID = 996
HEADER_ERRORS = (ValueError, IndexError, TypeError, AttributeError, LookupError)
"""What the header registry's parsers raise on junk."""


def decode_8bit(text: str) -> str:
    """A string whose undecodable bytes the parser kept as surrogates, decoded for real."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    raw = text.encode("utf-8", "surrogateescape")
    for charset in ("utf-8", "cp1252"):
        try:
            return raw.decode(charset)
        except UnicodeDecodeError:
            continue
    return raw.decode("latin-1")


def header_texts(message: Message, name: str) -> list[str]:
    """Every occurrence of the header, unfolded and decoded (encoded words included)."""
    wanted = name.lower()
    texts = []
    for key, value in message.raw_items():
        if key.lower() != wanted:
            continue
        unfolded = " ".join(decode_8bit(str(value)).split())
        try:
            texts.append(str(_POLICY.header_factory(name, unfolded)))
        except HEADER_ERRORS:
            texts.append(unfolded)
    return [text.replace("\x00", "") for text in texts]


def first_header(message: Message, name: str) -> str | None:
    texts = [text.strip() for text in header_texts(message, name)]
    return next((text for text in texts if text), None)


def mailboxes(message: Message, name: str) -> list[Address]:
    """The usable addresses (``local@domain``) of every occurrence of an address header."""
    found = []
    for key, value in message.raw_items():
        if key.lower() != name.lower():
            continue
        unfolded = " ".join(decode_8bit(str(value)).replace("\x00", "").split())
        found += [each for each in _addresses(unfolded) if _usable(each)]
    return found


def _addresses(text: str) -> tuple[Address, ...]:
    """Parsed as an address list whatever the header (``Delivered-To`` is unstructured)."""
    try:
        return tuple(_POLICY.header_factory("To", text).addresses)
    except HEADER_ERRORS:
        return ()


def _usable(address: Address) -> bool:
    """An address a reply could go to: one ``@``, a valid local part and domain."""
    if not address.username or not address.domain or address.addr_spec.count("@") != 1:
        return False
    try:
        normalise_email(address.addr_spec)
    except ValueError:
        return False
    return True


def message_ids(message: Message, name: str) -> list[str]:
    """The well-formed ids of every occurrence of the header (In-Reply-To, References), in
    order, once each; junk between them is skipped."""
    ids: list[str] = []
    for text in header_texts(message, name):
        angled = _ANGLED_ID.findall(text)
        ids += angled or _BARE_ID.findall(text)
    return [each for each in dict.fromkeys(ids) if len(each) <= _LONGEST_ID]


def message_id(message: Message) -> str | None:
    """This message's own id: the first ``<…>`` token, else the first bare word."""
    text = first_header(message, "Message-ID") or ""
    angled = _ANGLED_ID.search(text)
    token = angled.group(1) if angled else next(iter(text.split()), None)
    return token if token and len(token) <= _LONGEST_ID and not {"<", ">"} & set(token) else None


_FIELD_NAME = re.compile(r"^[!-9;-~]{1,200}$")


def header_block(pairs: Iterable[tuple[str, str]]) -> bytes:
    """Name/value pairs (an inbound-mail service's list of a message's headers) as the header
    block of a raw message: values unfolded onto one line, pairs without a valid field name
    left out. Non-ASCII values stay raw UTF-8, which the header readers decode."""
    lines = [
        f"{name}: {' '.join(value.split())}" for name, value in pairs if _FIELD_NAME.match(name)
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "surrogateescape")
