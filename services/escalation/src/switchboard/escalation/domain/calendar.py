"""Business calendars: when a region is open, and deadline arithmetic in business time.

A calendar is a time zone, weekly opening spans (several per day for split hours), the public
holidays of a country (and subdivision) from the `holidays` package, and custom closed dates.

Each span is the continuous stretch from its opening to its closing wall-clock time on one
local date. Where a boundary falls in a daylight-saving gap it moves to the transition
instant; where it is ambiguous it takes the first occurrence. All arithmetic iterates over
open intervals (in UTC), never over minutes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import holidays

SECONDS_PER_DAY = 24 * 60 * 60
MAX_CLOSED_DAYS_IN_A_ROW = 3 * 366
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_CLOCK = r"(?:(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?|24:00(?::00)?)"
SPAN_PATTERN = rf"^ *({_CLOCK}) *- *({_CLOCK}) *$"
"""An opening span as configuration spells it, ``08:00-12:30`` (seconds allowed, ``24:00``
the day's end); the schema says the same expression the parser reads."""
_SPAN = re.compile(SPAN_PATTERN)


class CalendarError(ValueError):
    """A calendar definition that cannot work (bad span, no open time, unknown country)."""


@dataclass(frozen=True, order=True)
class OpeningSpan:
    """Open from `opens` to `closes`, in seconds after local midnight (`closes` may be 86400)."""

    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= SECONDS_PER_DAY:
            raise CalendarError(f"opening span {self.opens}..{self.closes} is not within one day")

    @classmethod
    def parse(cls, text: str) -> OpeningSpan:
        """Parse `"08:00-12:30"` (seconds allowed: `"08:00:30-12:00"`); `24:00` is midnight."""
        spelled = _SPAN.search(text)
        if spelled is None:
            raise CalendarError(f"invalid opening span {text!r}: use HH:MM-HH:MM")
        return cls(_seconds_of_clock(spelled[1]), _seconds_of_clock(spelled[2]))


def _seconds_of_clock(text: str) -> int:
    """`HH:MM` or `HH:MM:SS` as ``_CLOCK`` reads it; `24:00` is the end of the day."""
    hours, minutes, seconds = (*(int(part) for part in text.split(":")), 0)[:3]
    return hours * 3600 + minutes * 60 + seconds


def _normalised_spans(spans: Iterable[OpeningSpan]) -> tuple[OpeningSpan, ...]:
    merged: list[OpeningSpan] = []
    for span in sorted(spans):
        if merged and span.opens <= merged[-1].closes:
            last = merged.pop()
            merged.append(OpeningSpan(last.opens, max(last.closes, span.closes)))
        else:
            merged.append(span)
    return tuple(merged)


@dataclass(frozen=True)
class WeeklyHours:
    """Opening spans per weekday, Monday = 0."""

    spans_by_weekday: tuple[tuple[OpeningSpan, ...], ...]

    def __post_init__(self) -> None:
        if len(self.spans_by_weekday) != 7:
            raise CalendarError("weekly hours need exactly seven weekdays")
        if not any(self.spans_by_weekday):
            raise CalendarError("weekly hours have no open time at all")

    @classmethod
    def from_spans(cls, spans: Mapping[int, Iterable[OpeningSpan]]) -> WeeklyHours:
        return cls(tuple(_normalised_spans(spans.get(day, ())) for day in range(7)))

    @classmethod
    def parse(cls, by_weekday_name: Mapping[str, Iterable[str]]) -> WeeklyHours:
        """Parse `{"mon": ["08:00-12:00", "13:00-17:00"], ...}`; missing days are closed."""
        unknown = set(by_weekday_name) - set(WEEKDAY_NAMES)
        if unknown:
            raise CalendarError(f"unknown weekday names: {sorted(unknown)}")
        return cls.from_spans(
            {
                WEEKDAY_NAMES.index(name): [OpeningSpan.parse(text) for text in texts]
                for name, texts in by_weekday_name.items()
            }
        )

    @classmethod
    def around_the_clock(cls) -> WeeklyHours:
        return cls.from_spans({day: [OpeningSpan(0, SECONDS_PER_DAY)] for day in range(7)})


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    weekly_hours: WeeklyHours
    country: str | None = None
    subdivision: str | None = None
    closed_dates: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.timezone)
        except (KeyError, ValueError) as error:
            raise CalendarError(f"unknown time zone {self.timezone!r}") from error
        if self.country is not None:
            try:
                holidays.country_holidays(self.country, subdiv=self.subdivision, years=2000)
            except NotImplementedError as error:
                raise CalendarError(
                    f"no holidays known for {self.country!r}/{self.subdivision!r}"
                ) from error

    @cached_property
    def _zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def _public_holidays(self) -> holidays.HolidayBase | None:
        if self.country is None:
            return None
        return holidays.country_holidays(self.country, subdiv=self.subdivision)

    def is_closed_date(self, local_date: date) -> bool:
        if local_date in self.closed_dates:
            return True
        return self._public_holidays is not None and local_date in self._public_holidays

    @cached_property
    def _always_open(self) -> bool:
        """Open around the clock every day: business time is plain elapsed time."""
        whole_day = (OpeningSpan(0, SECONDS_PER_DAY),)
        return (
            self.country is None
            and not self.closed_dates
            and all(spans == whole_day for spans in self.weekly_hours.spans_by_weekday)
        )

    @cached_property
    def _intervals_by_date(self) -> dict[date, tuple[tuple[datetime, datetime], ...]]:
        return {}

    def open_intervals_on(self, local_date: date) -> tuple[tuple[datetime, datetime], ...]:
        """The UTC intervals during which the calendar is open on one local date."""
        cached = self._intervals_by_date.get(local_date)
        if cached is None:
            cached = self._intervals_by_date[local_date] = self._compute_intervals_on(local_date)
        return cached

    def _compute_intervals_on(self, local_date: date) -> tuple[tuple[datetime, datetime], ...]:
        if self.is_closed_date(local_date):
            return ()
        intervals = []
        for span in self.weekly_hours.spans_by_weekday[local_date.weekday()]:
            opens = _wall_clock_to_utc(self._zone, local_date, span.opens)
            closes = _wall_clock_to_utc(self._zone, local_date, span.closes)
            if opens < closes:
                intervals.append((opens, closes))
        return tuple(intervals)

    def open_intervals(self, since: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Open intervals in UTC from `since` on (the first one clipped to start at `since`)."""
        since = _as_utc(since)
        local_date = since.astimezone(self._zone).date()
        closed_days_in_a_row = 0
        while True:
            intervals = self.open_intervals_on(local_date)
            closed_days_in_a_row = 0 if intervals else closed_days_in_a_row + 1
            if closed_days_in_a_row > MAX_CLOSED_DAYS_IN_A_ROW:
                raise CalendarError(f"calendar stays closed for years after {since.isoformat()}")
            for opens, closes in intervals:
                if closes > since:
                    yield max(opens, since), closes
            local_date += timedelta(days=1)

    def add_business_time(self, start: datetime, seconds: float | timedelta) -> datetime:
        """The instant when `seconds` of business time have passed since `start`.

        The result is never in closed time: the moment just before it is open (for zero
        seconds it is the next open instant).
        """
        remaining = seconds if isinstance(seconds, timedelta) else timedelta(seconds=seconds)
        if remaining < timedelta(0):
            raise ValueError("business time to add must not be negative")
        if self._always_open:
            return _as_utc(start) + remaining
        for opens, closes in self.open_intervals(start):
            if remaining <= closes - opens:
                return opens + remaining
            remaining -= closes - opens
        raise AssertionError("open_intervals never ends")  # pragma: no cover

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero when end is not after start."""
        start, end = _as_utc(start), _as_utc(end)
        total = timedelta(0)
        if end <= start:
            return total
        if self._always_open:
            return end - start
        for opens, closes in self.open_intervals(start):
            if opens >= end:
                break
            total += min(closes, end) - opens
        return total


def _as_utc(instant: datetime) -> datetime:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")
    return instant.astimezone(UTC)


def _wall_clock_to_utc(zone: ZoneInfo, local_date: date, seconds_after_midnight: int) -> datetime:
    day, seconds = divmod(seconds_after_midnight, SECONDS_PER_DAY)
    wall = datetime.combine(local_date + timedelta(days=day), time(0), tzinfo=zone) + timedelta(
        seconds=seconds
    )
    first_reading = wall.replace(fold=0).astimezone(UTC)
    if first_reading.astimezone(zone).replace(tzinfo=None, fold=0) == wall.replace(tzinfo=None):
        return first_reading
    second_reading = wall.replace(fold=1).astimezone(UTC)
    return _gap_transition(zone, earliest=second_reading, latest=first_reading)


def _gap_transition(zone: ZoneInfo, *, earliest: datetime, latest: datetime) -> datetime:
    """The instant the clocks jump forward, between two readings of a skipped wall time."""
    offset_before = earliest.astimezone(zone).utcoffset()
    low, high = int(earliest.timestamp()), int(latest.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, zone).utcoffset() == offset_before:
            low = middle
        else:
            high = middle
    return datetime.fromtimestamp(high, UTC)
