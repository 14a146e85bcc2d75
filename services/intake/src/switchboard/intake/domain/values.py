"""Value types of the intake domain, shared with the events on the wire."""

from switchboard.contracts.events.common import Channel, Priority

__all__ = ["Channel", "Priority"]
