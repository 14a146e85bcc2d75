from datetime import UTC, datetime

from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.telegram_sends import SEND_MESSAGE
from switchboard.intake.service_layer.delivery_outcomes import outcome_of
from switchboard.servicekit.deliveries import DeliveryStatus, Settled


def telegram(status: DeliveryStatus, code: int, answer: bytes) -> Settled:
    return Settled(
        delivery_id=1,
        stream="adapter-outbound",
        recipient="tg",
        message_id="r1",
        event_type=SEND_MESSAGE,
        status=status,
        attempts=1,
        error=None if 200 <= code < 300 else f"HTTP {code}",
        status_code=code,
        at=datetime(2026, 12, 6, tzinfo=UTC),
        answer=answer,
    )


def test_telegram_s_ok_makes_a_reply_sent_with_its_message_id():
    answer = b'{"ok":true,"result":{"message_id":7,"chat":{"id":42}}}'
    outcome = outcome_of(telegram(DeliveryStatus.DELIVERED, 200, answer))
    assert (outcome.state, outcome.provider_message_id) == (ReplyDelivery.SENT, "42:7")


def test_a_2xx_whose_answer_was_cut_short_is_sent_not_failed():
    cut = b'{"ok":true,"result":{"message_id":7,"text":"' + b"x" * 100
    outcome = outcome_of(telegram(DeliveryStatus.DELIVERED, 200, cut))
    assert (outcome.state, outcome.provider_message_id) == (ReplyDelivery.SENT, None)


def test_a_refusal_fails_with_telegram_s_description():
    answer = b'{"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"}'
    outcome = outcome_of(telegram(DeliveryStatus.DEAD, 403, answer))
    assert outcome.state is ReplyDelivery.FAILED
    assert (
        outcome.reason == "Telegram refused it: Forbidden: bot was blocked by the user (HTTP 403)"
    )
