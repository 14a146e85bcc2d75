"""The one way configuration spells a duration, in every service: ``90`` (seconds),
``"90s"``, ``"15m"``, ``"1h30m"``, ``"2d"``, or an ISO 8601 duration in days, hours, minutes
and seconds (``"PT15M"``, ``"P1DT2H"``).

``PATTERN`` is both what the parser accepts and what the JSON schemas say, so a generated
client and the service agree on every string: ASCII digits, at most five of them before the
point and three after, up to four parts, and some digit other than zero.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer, WithJsonSchema

_NUMBER = r"[0-9]{1,5}(?:\.[0-9]{1,3})?"
_COMPACT = rf"(?:{_NUMBER} *[dhmsDHMS] *){{1,4}}"
_ISO_TIME = (
    rf"[tT](?:{_NUMBER}[hH](?:{_NUMBER}[mM])?(?:{_NUMBER}[sS])?"
    rf"|{_NUMBER}[mM](?:{_NUMBER}[sS])?|{_NUMBER}[sS])"
)
_ISO = rf"[pP](?:{_NUMBER}[dD](?:{_ISO_TIME})?|{_ISO_TIME})"
PATTERN = rf"^(?=[^1-9]*[1-9]) *(?:{_COMPACT}|{_ISO}|{_NUMBER}) *$"
"""A positive duration spelled as a string (Python's and ECMA-262's regular expressions
read it alike)."""
MAX_SECONDS = 4 * 100_000 * 86_400
"""About 1,095 years: four parts of under 100,000 days, the most a spelling can say (so any
deadline stays a date a computer can add it to)."""

_SPELLED = re.compile(PATTERN)
_PART = re.compile(r"([0-9.]+)([dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
EXAMPLES = "e.g. 90, '90s', '15m', '1h30m', '2d' or 'PT15M'"

JSON_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "exclusiveMinimum": 0, "maximum": MAX_SECONDS},
        {"type": "string", "pattern": PATTERN},
    ],
    "description": f"A positive duration: seconds, {EXAMPLES}",
}


def parse_duration(value: Any) -> timedelta:
    """A positive timedelta from any of the spellings above; ValueError otherwise."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and _SPELLED.search(value):
        seconds = _seconds_of(value.strip().lower())
    else:
        raise ValueError(f"invalid duration {value!r}; use {EXAMPLES}")
    if not seconds <= MAX_SECONDS:  # also NaN
        raise ValueError(f"a duration is at most {MAX_SECONDS} seconds, not {value!r}")
    if seconds <= 0:
        raise ValueError(f"a duration must be positive, not {value!r}")
    return timedelta(seconds=seconds)


def _seconds_of(text: str) -> float:
    if text.startswith("p"):
        date_part, _, time_part = text[1:].partition("t")
        parts = _PART.findall(date_part) + _PART.findall(time_part)
    elif text[-1].isdigit():
        return float(text)
    else:
        parts = _PART.findall(text.replace(" ", ""))
    return sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)


Duration = Annotated[
    timedelta,
    BeforeValidator(parse_duration),
    PlainSerializer(lambda value: value.total_seconds(), return_type=float, when_used="json"),
    WithJsonSchema(JSON_SCHEMA, mode="validation"),
]
"""A pydantic field of this type reads any spelling and writes seconds to JSON."""
