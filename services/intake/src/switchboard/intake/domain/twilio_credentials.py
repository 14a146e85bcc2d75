"""A Twilio adapter's credential: the account whose webhooks it takes (Twilio signs them with
the account's auth token) and through which it sends, from its number or its Messaging
Service, asking Twilio for status callbacks at ``status_callback``."""

from __future__ import annotations

import re
from typing import Annotated, Self

from pydantic import SecretStr, StringConstraints, field_validator, model_validator

from switchboard.intake.domain import identity
from switchboard.intake.domain.credentials import ProviderCredential

ACCOUNT_SID = r"^AC[0-9a-f]{32}$"
AUTH_TOKEN = r"^[0-9a-f]{32}$"
MESSAGING_SERVICE_SID = r"^MG[0-9a-f]{32}$"
HttpsUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+\S*$")]


class TwilioAccount(ProviderCredential):
    """What the admin gives at registration (sealed at rest, never shown again)."""

    account_sid: Annotated[str, StringConstraints(pattern=ACCOUNT_SID)]
    auth_token: SecretStr
    """The account's primary auth token: it signs Twilio's webhooks and authenticates sends."""
    from_number: str | None = None
    """The Twilio number replies are sent from (E.164; ``whatsapp:`` is added for WhatsApp
    conversations)."""
    messaging_service_sid: (
        Annotated[str, StringConstraints(pattern=MESSAGING_SERVICE_SID)] | None
    ) = None
    """Sends through this Messaging Service instead of ``from_number`` (Twilio picks the
    sender from its pool)."""
    status_callback: HttpsUrl | None = None
    """Where Twilio posts each reply's status: intake's
    ``/v1/providers/twilio/<adapter id>/messages/status`` as Twilio reaches it. Without it,
    that path under the ``public_base_url`` setting; with neither a reply stays ``accepted``
    (unless the Messaging Service has a status callback of its own pointing there)."""

    @field_validator("auth_token")
    @classmethod
    def _auth_token_shape(cls, token: SecretStr) -> SecretStr:
        if not re.match(AUTH_TOKEN, token.get_secret_value()):
            raise ValueError("a Twilio auth token is 32 hexadecimal characters")
        return token

    @field_validator("from_number")
    @classmethod
    def _e164(cls, number: str | None) -> str | None:
        return identity.normalise_phone(number) if number is not None else None

    @model_validator(mode="after")
    def _sends_from_somewhere(self) -> Self:
        if not (self.from_number or self.messaging_service_sid):
            raise ValueError("a Twilio account needs from_number or messaging_service_sid")
        return self
