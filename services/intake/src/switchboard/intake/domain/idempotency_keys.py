"""The ``Idempotency-Key`` request header (IETF httpapi draft): a Structured Field string,
``"8e03978e-40d5"`` — and, as most APIs (Stripe's, for one) take it, the same text unquoted.

Both spellings name the same key. A key is 1 to 200 printable ASCII characters, spaces
inside allowed (the draft's sf-string alphabet)."""

from __future__ import annotations

import re

MAX_CHARACTERS = 200
_SF_STRING = re.compile(r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"')
_ESCAPE = re.compile(r'\\(["\\])')
_PRINTABLE = re.compile(r"[\x20-\x7e]+")


class BadIdempotencyKey(ValueError):
    pass


def idempotency_key(header: str) -> str:
    """The key a header value names: an sf-string unquoted, anything else as sent (the
    server already trimmed the spaces around it)."""
    quoted = _SF_STRING.fullmatch(header)
    key = _ESCAPE.sub(r"\1", quoted.group(1)) if quoted else header
    if not key or not _PRINTABLE.fullmatch(key):
        raise BadIdempotencyKey("an Idempotency-Key is printable ASCII and not empty")
    if len(key) > MAX_CHARACTERS:
        raise BadIdempotencyKey(f"an Idempotency-Key is at most {MAX_CHARACTERS} characters")
    return key
