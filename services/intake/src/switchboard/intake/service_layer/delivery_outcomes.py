"""What one delivery attempt does to an outbound message: a signed request the adapter took
makes it ``accepted``; Telegram's ``ok`` answer makes it ``sent`` (with Telegram's message
id); a delivery that ended unsent makes it ``failed`` saying why; one still being tried
keeps its last error."""

from __future__ import annotations

from dataclasses import dataclass

from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.telegram_sends import SEND_MESSAGE, answer_of, provider_message_id
from switchboard.servicekit.deliveries import DeliveryStatus, Settled


@dataclass(frozen=True)
class Outcome:
    state: ReplyDelivery | None
    """None: not settled yet (it will be tried again)."""
    reason: str | None = None
    provider_message_id: str | None = None


def outcome_of(settled: Settled) -> Outcome:
    if settled.event_type == SEND_MESSAGE:
        return _telegram(settled)
    if settled.status is DeliveryStatus.DELIVERED:
        return Outcome(ReplyDelivery.ACCEPTED)
    if settled.status is DeliveryStatus.DEAD:
        return Outcome(
            ReplyDelivery.FAILED,
            f"the adapter did not take it in {settled.attempts} attempts: {settled.error}",
        )
    return Outcome(None, settled.error)


def _telegram(settled: Settled) -> Outcome:
    answer = answer_of(settled.answer)
    said = answer.description or settled.error
    if settled.status is DeliveryStatus.DELIVERED:
        if answer.ok:
            return Outcome(ReplyDelivery.SENT, provider_message_id=provider_message_id(answer))
        if not answer.readable:  # a 2xx Telegram gives only with ok; its answer was cut short
            return Outcome(ReplyDelivery.SENT)
        return Outcome(ReplyDelivery.FAILED, f"Telegram did not send it: {said}")
    if settled.status is DeliveryStatus.DEAD:
        code = settled.status_code
        if code is not None and 400 <= code < 500:
            return Outcome(ReplyDelivery.FAILED, f"Telegram refused it: {said} (HTTP {code})")
        return Outcome(
            ReplyDelivery.FAILED, f"Telegram did not take it in {settled.attempts} attempts: {said}"
        )
    return Outcome(None, f"Telegram: {said}")
