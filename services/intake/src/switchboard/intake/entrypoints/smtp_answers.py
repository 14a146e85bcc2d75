"""What intake's mail receiver answers (aiosmtpd's handler hooks): a recipient it does not
take is refused (no relaying), and each message goes through the same accept path as a raw
e-mail posted by the adapter, answered 250 only once its contact is committed."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from aiosmtpd.smtp import SMTP, Envelope, Session
from pydantic import ValidationError

from switchboard.intake.domain.email_automated import AutomatedMail
from switchboard.intake.domain.email_parsing import EmailParseError, read_email
from switchboard.intake.domain.values import Channel
from switchboard.intake.service_layer.contacts.accept import Accepted, IncomingContact
from switchboard.intake.service_layer.returned_replies import automated_mail_taken
from switchboard.servicekit.faults import is_transient
from switchboard.servicekit.telemetry import current_trace_headers

if TYPE_CHECKING:
    from switchboard.intake.service_layer.unit_of_work import IntakeDeps
    from switchboard.intake.settings import SmtpListener

log = logging.getLogger(__name__)
MAX_REASON = 160
RECIPIENT_REFUSED = "550 5.1.1 Recipient not handled here"
RECIPIENT_TAKEN = "250 2.1.5 OK"
TRY_LATER = "451 4.3.0 Temporarily unable to accept the message, try again later"
MISCONFIGURED = "451 4.3.5 The receiving adapter is not an enabled e-mail adapter"


class AdapterUnusable(Exception):
    """The configured adapter is missing, disabled or of another channel."""


def _one_line(text: str) -> str:
    printable = "".join(c if " " <= c <= "~" else " " for c in text)
    return " ".join(printable.split())[:MAX_REASON]


def _not_email(error: EmailParseError | ValidationError) -> str:
    if isinstance(error, EmailParseError):
        return f"554 5.6.0 Not an e-mail intake can read: {_one_line(str(error))}"
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "message"
    reason = f"{field}: {first['msg']}"
    return f"554 5.6.0 Not an e-mail intake can read: {_one_line(reason)}"


def _webhook_id(raw: bytes, recipients: list[str]) -> str:
    """The same delivery retried (the 250 got lost) has the same id: accepted once."""
    digest = hashlib.sha256("\n".join(recipients).encode() + b"\n\n" + raw).hexdigest()
    return f"smtp:{digest}"


class SmtpAnswers:
    def __init__(self, deps: IntakeDeps, listener: SmtpListener) -> None:
        self._deps = deps
        self._listener = listener

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if not self._listener.recipients.accepts(address):
            return RECIPIENT_REFUSED
        envelope.rcpt_tos.append(address)
        return RECIPIENT_TAKEN

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if self._listener.protocol == "lmtp":  # one answer per recipient, in RCPT order
            answers = [await self._deliver(raw, [rcpt]) for rcpt in envelope.rcpt_tos]
            return "\r\n".join(answers)
        return await self._deliver(raw, list(envelope.rcpt_tos))

    async def _deliver(self, raw: bytes, recipients: list[str]) -> str:
        try:
            accepted = await self._accept(raw, recipients)
        except (EmailParseError, ValidationError) as error:
            return _not_email(error)
        except AdapterUnusable:
            return MISCONFIGURED
        except Exception as error:
            # Only the error's type: its text may carry addresses (no PII in logs).
            if not is_transient(error):
                log.error("message not accepted (%s); answered 451", type(error).__name__)
            return TRY_LATER
        if isinstance(accepted, AutomatedMail):  # taken, so that it is not sent again
            return f"250 2.0.0 Taken, ignored as {accepted.kind.value}: no contact"
        return f"250 2.0.0 Accepted as contact {accepted.contact_id}"

    async def _accept(self, raw: bytes, recipients: list[str]) -> Accepted | AutomatedMail:
        deps = self._deps
        adapter = await deps.adapters.get(self._listener.adapter_id)
        if adapter is None or not adapter.enabled or adapter.channel is not Channel.EMAIL:
            raise AdapterUnusable
        contact = read_email(raw, envelope_recipients=recipients)
        if isinstance(contact, AutomatedMail):
            await automated_mail_taken(deps, contact, at=datetime.now(UTC))
            return contact
        return await deps.batcher.accept(
            IncomingContact(
                adapter=adapter,
                contact=contact,
                webhook_id=_webhook_id(raw, recipients),
                language=deps.detector.detect(contact.text),
                received_at=datetime.now(UTC),
                trace=current_trace_headers(),
            )
        )
