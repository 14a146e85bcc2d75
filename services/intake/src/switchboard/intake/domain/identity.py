"""Customer identity keys: normalised e-mail addresses, E.164 numbers, social handles.

Two contacts belong to the same customer when they share one identity key, so every
normaliser is idempotent and maps the spellings of one identity to one key.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from email_validator import EmailNotValidError, validate_email


class IdentityKind(StrEnum):
    EMAIL = "email"
    PHONE = "phone"
    SOCIAL = "social"
    CHAT_VISITOR = "chat_visitor"


@dataclass(frozen=True, order=True)
class IdentityKey:
    kind: IdentityKind
    value: str

    def __str__(self) -> str:
        return f"{self.kind.value}:{self.value}"


class InvalidIdentity(ValueError):
    """A value that cannot be an e-mail address, a phone number or a handle."""


@functools.lru_cache(maxsize=16_384)  # a check costs ~0.2 ms; customers write again
def normalise_email(raw: str) -> str:
    """``Ann@Example.COM `` → ``ann@example.com``; internationalised domains as IDNA.

    email-validator checks the address as mail systems take it (no DNS look-up); a local
    part must be ASCII, and ``.test`` domains are taken like any other (demos, staging).
    """
    address = raw.strip().removeprefix("mailto:").strip().strip("<>").rstrip(".")
    try:
        valid = validate_email(
            address,
            check_deliverability=False,
            allow_smtputf8=False,
            strict=True,  # a local part of at most 64 characters, as RFC 5321 says
            test_environment=True,
        )
    except EmailNotValidError as error:
        raise InvalidIdentity(f"not an e-mail address: {raw!r} ({error})") from error
    return f"{valid.local_part.lower()}@{valid.ascii_domain}"


def normalise_phone(raw: str, *, default_region: str | None = None) -> str:
    """A dialled or displayed number → E.164 (``+4512345678``); national numbers need a region."""
    try:
        number = phonenumbers.parse(raw, default_region.upper() if default_region else None)
    except phonenumbers.NumberParseException as error:
        raise InvalidIdentity(f"not a phone number: {raw!r} ({error})") from error
    if not phonenumbers.is_valid_number(number):
        raise InvalidIdentity(f"not a valid phone number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_PLATFORM_ALIASES = {"twitter": "x", "fb": "facebook", "ig": "instagram"}
_HANDLE_PATTERNS = {
    "x": re.compile(r"^[a-z0-9_]{1,15}$"),
    "instagram": re.compile(r"^[a-z0-9._]{1,30}$"),
    "tiktok": re.compile(r"^[a-z0-9._]{2,24}$"),
    "facebook": re.compile(r"^[a-z0-9.]{1,50}$"),
    "linkedin": re.compile(r"^[a-z0-9-]{3,100}$"),
}
_NOT_IN_A_HANDLE = r"@/\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
ANY_HANDLE = rf"^@?[^{_NOT_IN_A_HANDLE}]{{1,100}}$"
"""A handle as a contact spells it, on any platform: an optional @, then no space, control
character, @ or / (Python, Rust and ECMA-262 read this expression alike)."""
_ANY_HANDLE = re.compile(rf"^[^{_NOT_IN_A_HANDLE}]{{1,100}}$")
PLATFORM = r"^[A-Za-z][A-Za-z0-9_-]{0,31}$"
"""A platform's name as a contact spells it; compared in lower case."""
_PLATFORM = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")


def normalise_platform(raw: str) -> str:
    platform = raw.strip().lower()
    if not _PLATFORM.match(platform):
        raise InvalidIdentity(f"not a platform name: {raw!r}")
    return _PLATFORM_ALIASES.get(platform, platform)


def normalise_handle(platform: str, raw: str) -> str:
    """``@Ann_Example`` on X → ``ann_example``; handles are case-insensitive on every platform."""
    handle = raw.strip().removeprefix("@").casefold()
    pattern = _HANDLE_PATTERNS.get(normalise_platform(platform), _ANY_HANDLE)
    if not pattern.match(handle):
        raise InvalidIdentity(f"not a {platform} handle: {raw!r}")
    return handle


def chat_visitor_identity(visitor_id: str) -> IdentityKey:
    return IdentityKey(IdentityKind.CHAT_VISITOR, visitor_id.strip())


def identity_of(kind: IdentityKind, raw: str) -> IdentityKey:
    """An identity as someone looking a customer up types it, normalised as contacts' are:
    an e-mail address, an E.164 number (with its +), ``platform:handle``, a chat visitor id."""
    match kind:
        case IdentityKind.EMAIL:
            return IdentityKey(kind, normalise_email(raw))
        case IdentityKind.PHONE:
            return IdentityKey(kind, normalise_phone(raw))
        case IdentityKind.SOCIAL:
            platform, colon, handle = raw.partition(":")
            if not colon:
                raise InvalidIdentity(f"a social identity is platform:handle, not {raw!r}")
            platform = normalise_platform(platform)
            return IdentityKey(kind, f"{platform}:{normalise_handle(platform, handle)}")
        case IdentityKind.CHAT_VISITOR:
            if not raw.strip():
                raise InvalidIdentity("a chat visitor id is not blank")
            return chat_visitor_identity(raw)
