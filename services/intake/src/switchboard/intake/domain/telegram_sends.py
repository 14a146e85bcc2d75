"""Sending through the Telegram Bot API: the ``sendMessage`` request for an outbound message
addressed from the customer's latest Telegram message, and what Telegram's answer says
(https://core.telegram.org/bots/api#sendmessage, #making-requests: ``{"ok": true, "result":
Message}`` or ``{"ok": false, "error_code", "description", "parameters": {"retry_after"}}``);
the webhook's secret token and its check; the bot token as an adapter's credential."""

from __future__ import annotations

import hmac
import json
import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import Field, SecretStr, field_validator

from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.servicekit.deliveries.providers import ProviderEndpoint
from switchboard.servicekit.deliveries.schedule import DeliveryStatus, Settled

DEFAULT_API_BASE = "https://api.telegram.org"
SECRET_TOKEN_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SEND_MESSAGE = "telegram.sendMessage"
"""The event type of a queued ``sendMessage`` request."""
BOT_TOKEN = r"^[0-9]{1,20}:[A-Za-z0-9_-]{20,100}$"


class TelegramBot(ProviderCredential):
    """A bot's token as BotFather gives it; stored as the token itself."""

    bot_token: SecretStr = Field(json_schema_extra={"pattern": BOT_TOKEN})

    @field_validator("bot_token")
    @classmethod
    def _as_botfather_gives_it(cls, token: SecretStr) -> SecretStr:
        if not re.fullmatch(BOT_TOKEN, token.get_secret_value()):
            raise ValueError("a Telegram bot token reads <bot id>:<secret>, as BotFather gives it")
        return token

    def stored(self) -> str:
        return self.bot_token.get_secret_value()

    @classmethod
    def from_stored(cls, text: str) -> Self:
        return cls(bot_token=SecretStr(text))

    @classmethod
    def webhook_secret(cls) -> str:
        return new_secret_token()


def new_secret_token() -> str:
    """A webhook secret token as setWebhook takes it: 1 to 256 of ``A-Za-z0-9_-``."""
    return secrets.token_urlsafe(32)


def secret_token_matches(given: str | None, in_use: Iterable[str]) -> bool:
    """Whether the header holds one of the secret tokens in use, compared in constant time."""
    if not given:
        return False
    offered = given.encode()
    return any([hmac.compare_digest(offered, token.encode()) for token in in_use])


def send_message_url(api_base: str, bot_token: str) -> str:
    return f"{api_base.rstrip('/')}/bot{bot_token}/sendMessage"


def send_message(
    document: Mapping[str, Any], _bot: TelegramBot | None = None, _origin: object = None
) -> str:
    """sendMessage's JSON parameters: the chat of the customer's latest message, the text,
    and a reply to that message (sent without it if it was deleted)."""
    parameters: dict[str, Any] = {
        "chat_id": int(document["conversation_id"]),
        "text": document["text"],
    }
    latest = str(document.get("in_reply_to_item_id") or "").split(":")
    if len(latest) >= 2 and latest[1].lstrip("-").isdigit():
        parameters["reply_parameters"] = {
            "message_id": int(latest[1]),
            "allow_sending_without_reply": True,
        }
    return json.dumps(parameters, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Answer:
    ok: bool
    message_id: int | None = None
    chat_id: int | None = None
    description: str | None = None
    retry_after: float | None = None
    readable: bool = True
    """False when the answer is no Bot API document (cut short, say: only its start is
    kept); it then says nothing either way."""


NOT_A_DOCUMENT = "the answer is not a Bot API document"


def answer_of(body: bytes) -> Answer:
    """What Telegram answered; an answer that is no Bot API document says so."""
    try:
        document = json.loads(body)
    except ValueError:
        return Answer(ok=False, description=NOT_A_DOCUMENT, readable=False)
    if not isinstance(document, dict):
        return Answer(ok=False, description=NOT_A_DOCUMENT, readable=False)
    result = document.get("result")
    message_id = result.get("message_id") if isinstance(result, dict) else None
    chat = result.get("chat") if isinstance(result, dict) else None
    chat_id = chat.get("id") if isinstance(chat, dict) else None
    parameters = document.get("parameters")
    wait = parameters.get("retry_after") if isinstance(parameters, dict) else None
    return Answer(
        ok=document.get("ok") is True,
        message_id=message_id if isinstance(message_id, int) else None,
        chat_id=chat_id if isinstance(chat_id, int) else None,
        description=str(document["description"])[:1000] if document.get("description") else None,
        retry_after=float(wait) if isinstance(wait, int | float) else None,
    )


def provider_message_id(answer: Answer) -> str | None:
    """``<chat id>:<message id>``, as intake names a Telegram message (ids are per chat)."""
    if answer.message_id is None:
        return None
    return f"{answer.chat_id}:{answer.message_id}" if answer.chat_id else str(answer.message_id)


def retry_after(status_code: int, body: bytes) -> float | None:
    """The wait Telegram asks for on a 429 (``parameters.retry_after``)."""
    return answer_of(body).retry_after if status_code == 429 else None


def endpoint(bot: TelegramBot, api_base: str) -> ProviderEndpoint:
    """``sendMessage`` of the bot (its URL holds the token: built only when sent)."""
    return ProviderEndpoint(
        url=send_message_url(api_base, bot.bot_token.get_secret_value()), retry_after=retry_after
    )


def outcome(settled: Settled) -> Outcome:
    """Telegram's ``ok`` answer makes a message sent (with Telegram's message id); a refusal
    fails it with Telegram's description; anything else is tried again."""
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
