"""One int per filing of a waiting case that orders it: priority, then age, then arrival.

Fields from the most significant: priority (any int, 1 urgent), enqueued_at in microseconds
since 1970 shifted to be non-negative, the arrival number, and last the filing number, which
only tells two filings of the same case apart. Comparing two ranks is one C call that reads
one object each, where comparing tuples reads the tuples and then their fields.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from switchboard.routing.domain.model import WorkItem

FIELD_BITS = 64
MICROS_SHIFT = 1 << 63  # every datetime, years 1 to 9999, lands in [0, 2**64)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MICROSECOND = timedelta(microseconds=1)
NO_RANK = 1 << 1024  # after every case: the rank of an empty queue


def micros(moment: datetime) -> int:
    """Microseconds since 1970; naive times are local, as ``datetime.timestamp`` reads them."""
    aware = moment if moment.tzinfo is not None else moment.astimezone()
    return (aware - EPOCH) // ONE_MICROSECOND


def rank_of(item: WorkItem) -> int:
    """The rank of the item's current filing (``priority``, ``enqueued_at``, ``arrival``,
    ``filing``)."""
    rank = (item.priority << FIELD_BITS) + micros(item.enqueued_at) + MICROS_SHIFT
    rank = (rank << FIELD_BITS) + item.arrival
    return (rank << FIELD_BITS) + item.filing


def order_of(rank: int) -> int:
    """The rank without its filing number: equal for two filings of the same case."""
    return rank >> FIELD_BITS
