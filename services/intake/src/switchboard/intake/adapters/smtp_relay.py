"""Handing a queued e-mail to the team's mail server (aiosmtplib): the relay's answer as
the delivery sender keeps it — its reply code and text, and whether a refusal is for good
(5yz); a dropped connection or a timeout is tried again."""

from __future__ import annotations

import email
from email import policy

import aiosmtplib

from switchboard.intake.domain.smtp_sends import SmtpRelay
from switchboard.servicekit.deliveries import Transported, TransportEndpoint


def relay_endpoint(relay: SmtpRelay, _api_base: str = "") -> TransportEndpoint:
    async def send(body: str) -> Transported:
        return await hand_over(relay, body)

    return TransportEndpoint(name="smtp", send=send)


async def hand_over(relay: SmtpRelay, body: str, *, timeout: float = 30) -> Transported:
    message = email.message_from_string(body, policy=policy.SMTP)
    try:
        _, said = await aiosmtplib.send(
            message,
            sender=relay.from_address,
            hostname=relay.host,
            port=relay.port,
            username=relay.username,
            password=relay.password.get_secret_value() if relay.password else None,
            use_tls=relay.security == "tls",
            start_tls=relay.security == "starttls",
            timeout=timeout,
        )
    except aiosmtplib.SMTPRecipientsRefused as refused:
        first = refused.recipients[0]
        return _refused(first.code, first.message)
    except aiosmtplib.SMTPAuthenticationError as error:
        # A wrong login is a failure until an operator changes the credential.
        return _refused(error.code, error.message, final=True)
    except aiosmtplib.SMTPResponseException as error:
        return _refused(error.code, error.message)
    return Transported(ok=True, code=250, answer=said.encode()[:2000])


def _refused(code: int, message: str, *, final: bool | None = None) -> Transported:
    for_good = 500 <= code < 600 if final is None else final
    return Transported(
        ok=False,
        code=code,
        answer=message.encode()[:2000],
        final=for_good,
        error=f"smtp {code}: {message}"[:500],
    )
