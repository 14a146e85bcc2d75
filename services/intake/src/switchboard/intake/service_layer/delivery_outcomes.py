"""What one delivery attempt does to an outbound message: a signed request the adapter took
makes it ``accepted``; a provider's answer says what its kind says (Telegram's ``ok``: sent,
with its message id); a delivery that ended unsent makes it ``failed`` saying why; one
still being tried keeps its last error."""

from __future__ import annotations

from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.intake.service_layer.providers import sender_of_type
from switchboard.servicekit.deliveries import DeliveryStatus, Settled

__all__ = ["Outcome", "outcome_of"]


def outcome_of(settled: Settled) -> Outcome:
    sender = sender_of_type(settled.event_type)
    if sender is not None:
        return sender.outcome(settled)
    if settled.status is DeliveryStatus.DELIVERED:
        return Outcome(ReplyDelivery.ACCEPTED)
    if settled.status is DeliveryStatus.DEAD:
        return Outcome(
            ReplyDelivery.FAILED,
            f"the adapter did not take it in {settled.attempts} attempts: {settled.error}",
        )
    return Outcome(None, settled.error)
