"""Replies by e-mail through the team's own mail server (an SMTP relay, RFC 5321): the
relay as an adapter's credential, the message built when the reply is queued — From the
team's address, To the customer, the subject, Message-ID, In-Reply-To and References so
that the customer's mail program threads it, the text with the sanitised HTML as its
alternative, attachments by reference as links — and what the relay's answer means
(RFC 5321 §4.2.1: 2yz taken, 4yz try again, 5yz refused for good)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Annotated, Any, Literal, Self

from pydantic import Field, SecretStr, StringConstraints, model_validator

from switchboard.intake.domain.contacts import EmailAddress
from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.replies import Outcome, ReplyDelivery
from switchboard.servicekit.deliveries.schedule import DeliveryStatus, Settled

SEND_MAIL = "smtp.sendmail"
"""The event type of a queued message for the relay."""
HostName = Annotated[
    str, StringConstraints(max_length=253, pattern=r"^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$")
]


class SmtpRelay(ProviderCredential):
    """The mail server replies are handed to, and as whom."""

    host: HostName
    port: Annotated[int, Field(ge=1, le=65535)] = 587
    security: Literal["starttls", "tls", "none"] = "starttls"
    """``starttls`` (submission, 587), ``tls`` (implicit TLS, 465) or ``none`` (a relay on
    the same host or a trusted network only)."""
    username: Annotated[str, StringConstraints(min_length=1, max_length=256)] | None = None
    password: SecretStr | None = None
    from_address: EmailAddress
    """The team's address: replies come from it, and the customer's answers go to it."""
    from_name: Annotated[str, StringConstraints(max_length=200)] | None = None

    @model_validator(mode="after")
    def _login_whole(self) -> Self:
        if (self.username is None) != (self.password is None):
            raise ValueError("give username and password together, or neither")
        return self


def mail_message(document: Mapping[str, Any], relay: SmtpRelay, _origin: object = None) -> str:
    """The RFC 5322 message of an outbound e-mail document (a reply or a survey request),
    as the relay is handed it."""
    message = EmailMessage()
    message["From"] = formataddr((_one_line(relay.from_name or ""), relay.from_address))
    message["To"] = ", ".join(document["to"])
    message["Subject"] = _one_line(document.get("subject") or "")
    message["Date"] = format_datetime(datetime.fromisoformat(document["posted_at"]))
    message["Message-ID"] = document["message_id"]
    if document.get("in_reply_to"):
        message["In-Reply-To"] = document["in_reply_to"]
    if document.get("references"):
        message["References"] = " ".join(document["references"])
    message["Auto-Submitted"] = "no" if document.get("kind") == "reply" else "auto-generated"
    message.set_content(_text_of(document))
    if document.get("html"):
        message.add_alternative(document["html"], subtype="html")
    return message.as_string()


def _one_line(value: str) -> str:
    """A header value on one line: a subject taken from the customer's mail may hold line
    breaks (an encoded word can spell one), which no header may."""
    return " ".join(value.split())


def _text_of(document: Mapping[str, Any]) -> str:
    text = str(document["text"])
    if document.get("link"):  # a survey request's link
        text = f"{text}\n\n{document['link']}"
    attached = [f"- {a['filename']}: {a['url']}" for a in document.get("attachments") or []]
    return "\n\n".join([text, "\n".join(attached)]) if attached else text


def envelope_sender(relay: SmtpRelay) -> str:
    return Address(addr_spec=relay.from_address).addr_spec


def outcome(settled: Settled) -> Outcome:
    """The relay took it (sent; the Message-ID names it, as a bounce will), refused it for
    good (failed, in the relay's words), or it could not be handed over in its attempts."""
    said = settled.answer.decode("utf-8", "replace").strip() or settled.error or ""
    code = settled.status_code
    if settled.status is DeliveryStatus.DELIVERED:
        return Outcome(ReplyDelivery.SENT)
    if settled.status is DeliveryStatus.DEAD:
        if code is not None and 500 <= code < 600:
            return Outcome(
                ReplyDelivery.FAILED, f"the mail server refused it: {said} (SMTP {code})"
            )
        return Outcome(
            ReplyDelivery.FAILED,
            f"the mail server did not take it in {settled.attempts} attempts: {said}",
        )
    return Outcome(None, f"mail server: {said}")
