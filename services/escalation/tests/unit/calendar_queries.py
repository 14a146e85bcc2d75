"""What the tests ask a business calendar besides what the service asks (business time
added and between): whether it is open at an instant, and when it opens next."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from switchboard.escalation.domain.calendar import BusinessCalendar


def is_open(calendar: BusinessCalendar, instant: datetime) -> bool:
    local_date = instant.astimezone(ZoneInfo(calendar.timezone)).date()
    return any(
        opens <= instant < closes
        for day in (local_date - timedelta(days=1), local_date)
        for opens, closes in calendar.open_intervals_on(day)
    )


def next_open(calendar: BusinessCalendar, instant: datetime) -> datetime:
    """The first instant at or after ``instant`` when the calendar is open."""
    opens, _ = next(calendar.open_intervals(instant))
    return opens
