"""Transactional outbox: events written in the caller's transaction, published by a relay."""

from switchboard.servicekit.outbox.relay import OutboxRelay
from switchboard.servicekit.outbox.writer import (
    LANES,
    OutboxWakeup,
    add_event,
    add_events,
    lane_of,
)

__all__ = ["LANES", "OutboxRelay", "OutboxWakeup", "add_event", "add_events", "lane_of"]
