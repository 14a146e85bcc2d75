"""A case's priority from the adapter's request, the customer's standing and the channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from switchboard.intake.domain.values import Channel, Priority

DEFAULT_CHANNEL_PRIORITIES: Mapping[Channel, Priority] = MappingProxyType(
    {
        Channel.PHONE: Priority.HIGH,
        Channel.CHAT: Priority.HIGH,
        Channel.EMAIL: Priority.NORMAL,
        Channel.SOCIAL: Priority.NORMAL,
    }
)


@dataclass(frozen=True)
class PriorityPolicy:
    channel_defaults: Mapping[Channel, Priority] = field(
        default_factory=lambda: DEFAULT_CHANNEL_PRIORITIES
    )
    vip_floor: Priority = Priority.HIGH
    """A VIP customer's case is never less urgent than this."""
    public_social_floor: Priority = Priority.NORMAL
    """A public post is seen by everyone, so it is never left at low priority."""

    def resolve(
        self,
        *,
        channel: Channel,
        requested: Priority | None,
        vip: bool,
        public: bool = False,
    ) -> Priority:
        """The adapter's priority if given, else the channel's; floors only make it more urgent."""
        priority = requested or self.channel_defaults.get(channel, Priority.NORMAL)
        if vip:
            priority = min(priority, self.vip_floor)
        if public:
            priority = min(priority, self.public_social_floor)
        return Priority(priority)


def escalate_on_reopen(*, current: Priority, incoming: Priority) -> Priority:
    """A reopened case keeps the more urgent of its old priority and the new contact's."""
    return Priority(min(current, incoming))
