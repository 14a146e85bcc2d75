"""Sending through Twilio's Messages API and answering Twilio's webhooks.

A reply is ``POST {api base}/2010-04-01/Accounts/{AccountSid}/Messages.json``, form-encoded
``To``, ``From`` (the adapter's number) or ``MessagingServiceSid``, ``Body`` and
``StatusCallback``, with HTTP Basic auth AccountSid:AuthToken
(https://www.twilio.com/docs/messaging/api/message-resource#create-a-message-resource).
Twilio answers 201 with the Message resource (``sid``, ``status``) or an error document
(``code``, ``message``, ``more_info``, ``status``); its later status callbacks
(``MessageStatus``, ``ErrorCode``) say how far the message got.

TwiML answers: an empty ``<Response/>`` to a message (Twilio sends nothing itself), and to a
call a short greeting and a ``<Record>`` whose action comes back to intake as a voicemail."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode
from xml.sax.saxutils import escape, quoteattr

from switchboard.intake.domain.credentials import SendOrigin
from switchboard.intake.domain.replies import ReplyDelivery
from switchboard.intake.domain.twilio_credentials import TwilioAccount

DEFAULT_API_BASE = "https://api.twilio.com"
SEND_MESSAGE = "twilio.createMessage"
"""The event type of a queued Messages API request."""
FORM = "application/x-www-form-urlencoded"
TWIML = "text/xml"
VOICEMAIL_GREETING = (
    "Thank you for calling. Nobody can take your call right now. "
    "Please leave a message after the tone, then hang up, and we will get back to you."
)
LONGEST_VOICEMAIL_SECONDS = 120

STATUS_PATH = "/v1/providers/twilio/{adapter_id}/messages/status"
"""Where Twilio reports a reply's status (``entrypoints.twilio_api``), under intake's public URL."""


def messages_url(api_base: str, account_sid: str) -> str:
    return f"{api_base.rstrip('/')}/2010-04-01/Accounts/{account_sid}/Messages.json"


def basic_auth(account_sid: str, auth_token: str) -> str:
    pair = base64.b64encode(f"{account_sid}:{auth_token}".encode()).decode()
    return f"Basic {pair}"


def create_message(
    document: Mapping[str, Any],
    *,
    from_number: str | None,
    messaging_service_sid: str | None,
    status_callback: str | None = None,
) -> str:
    """The Messages API's form parameters for an outbound document addressed from the
    customer's latest message: to the same number on the same platform (``whatsapp:`` kept),
    from the adapter's Messaging Service, else its number."""
    whatsapp = document.get("platform") == "whatsapp"
    prefix = "whatsapp:" if whatsapp else ""
    parameters = [("To", f"{prefix}{document['conversation_id']}")]
    if messaging_service_sid:
        parameters.append(("MessagingServiceSid", messaging_service_sid))
    elif from_number:
        parameters.append(("From", f"{prefix}{from_number}"))
    parameters.append(("Body", str(document["text"])))
    if status_callback:
        parameters.append(("StatusCallback", status_callback))
    return urlencode(parameters)


def send_body(
    document: Mapping[str, Any], account: TwilioAccount, origin: SendOrigin | None = None
) -> str:
    """The queued body of a reply through the adapter's Twilio account; Twilio reports its
    status to the account's ``status_callback``, else to intake's own status endpoint under
    its public URL (when that is configured)."""
    own = origin.public_url(STATUS_PATH.format(adapter_id=origin.adapter_id)) if origin else None
    return create_message(
        document,
        from_number=account.from_number,
        messaging_service_sid=account.messaging_service_sid,
        status_callback=account.status_callback or own,
    )


@dataclass(frozen=True)
class Answer:
    sid: str | None = None
    status: str | None = None
    code: int | None = None
    message: str | None = None
    more_info: str | None = None
    readable: bool = True
    """False when the answer is no JSON document (cut short, say); it then says nothing."""

    @property
    def reason(self) -> str | None:
        """Twilio's error as a person reads it: message, code and where it is explained."""
        if not self.message and self.code is None:
            return None
        said = self.message or "an error"
        code = f" (error {self.code}" + (f", {self.more_info})" if self.more_info else ")")
        return said + (code if self.code is not None else "")


def answer_of(body: bytes) -> Answer:
    try:
        document = json.loads(body)
    except ValueError:
        return Answer(readable=False)
    if not isinstance(document, dict):
        return Answer(readable=False)
    sid, status, code = document.get("sid"), document.get("status"), document.get("code")
    message, more_info = document.get("message"), document.get("more_info")
    return Answer(
        sid=sid if isinstance(sid, str) else None,
        status=status if isinstance(status, str) else None,
        code=code if isinstance(code, int) and not isinstance(code, bool) else None,
        message=str(message)[:1000] if message else None,
        more_info=str(more_info)[:300] if more_info else None,
    )


_REPORTED = {
    "queued": ReplyDelivery.ACCEPTED,
    "accepted": ReplyDelivery.ACCEPTED,
    "scheduled": ReplyDelivery.ACCEPTED,
    "sending": ReplyDelivery.ACCEPTED,
    "sent": ReplyDelivery.SENT,
    "partially_delivered": ReplyDelivery.SENT,
    "delivered": ReplyDelivery.DELIVERED,
    "read": ReplyDelivery.READ,
    "undelivered": ReplyDelivery.FAILED,
    "failed": ReplyDelivery.FAILED,
    "canceled": ReplyDelivery.FAILED,
}


def reported_delivery(message_status: str) -> ReplyDelivery | None:
    """What a status callback's ``MessageStatus`` says of an outbound message; None for a
    status of no outbound message (``received``) or one Twilio may add."""
    return _REPORTED.get(message_status.strip().lower())


def failure_reason(message_status: str, error_code: str | None) -> str:
    code = (error_code or "").strip()
    if code.isdigit():
        return (
            f"Twilio reports it {message_status} "
            f"(error {code}, https://www.twilio.com/docs/errors/{code})"
        )
    return f"Twilio reports it {message_status}"


def empty_twiml() -> str:
    return '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def voicemail_twiml(recorded_url: str, greeting: str = VOICEMAIL_GREETING) -> str:
    """A greeting, the tone and up to two minutes of message; Twilio posts the recording to
    ``recorded_url`` (with the call's From and To) when the caller hangs up or presses #."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Response>'
        f"<Say>{escape(greeting)}</Say>"
        f'<Record action={quoteattr(recorded_url)} method="POST" '
        f'maxLength="{LONGEST_VOICEMAIL_SECONDS}" finishOnKey="#" playBeep="true"/>'
        "<Hangup/></Response>"
    )


def goodbye_twiml() -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        "<Response><Say>Thank you. Goodbye.</Say><Hangup/></Response>"
    )
