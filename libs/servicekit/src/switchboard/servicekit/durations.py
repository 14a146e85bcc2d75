"""The one way configuration spells a duration, in every service: ``90`` (seconds),
``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"``, or an ISO 8601 duration (``"PT15M"``)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_ISO = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)
EXAMPLES = "e.g. 90, '90s', '15m', '1h30m', '2d' or 'PT15M'"


def parse_duration(value: Any) -> timedelta:
    """A positive timedelta from any of the spellings above; ValueError otherwise."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _seconds_of(value.strip())
    else:
        raise ValueError(f"invalid duration {value!r}; use {EXAMPLES}")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, not {value!r}")
    return timedelta(seconds=seconds)


def _seconds_of(text: str) -> float:
    compact = text.replace(" ", "").lower()
    if compact and _PART.sub("", compact) == "":
        return sum(float(n) * _UNIT_SECONDS[unit] for n, unit in _PART.findall(compact))
    iso = _ISO.match(text.upper())
    if text and iso and any(iso.groupdict().values()) and not text.upper().endswith("T"):
        return sum(float(n) * _UNIT_SECONDS[u] for u, n in iso.groupdict().items() if n)
    try:
        return float(compact)
    except ValueError:
        raise ValueError(f"invalid duration {text!r}; use {EXAMPLES}") from None


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda value: value.total_seconds(), return_type=float, when_used="json"),
]
"""A pydantic field of this type reads any spelling and writes seconds to JSON."""
