"""Free text a database can store: no NUL character (PostgreSQL refuses it) and no lone
surrogate (valid in a JSON escape like ``"\\ud800"``, but not Unicode text)."""

from __future__ import annotations


def storable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def require_storable(text: str) -> str:
    """A pydantic ``AfterValidator``: the field's 422 says what is wrong."""
    if not storable(text):
        raise ValueError("must not contain a NUL character (U+0000) or a lone surrogate")
    return text
