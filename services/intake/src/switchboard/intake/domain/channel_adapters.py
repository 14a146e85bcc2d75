"""Channel adapters: who may post contacts, for which channel and region, signed with which
secrets (the current one, and the previous one while a rotation's grace period lasts); a
provider's adapter (``telegram``) also holds the provider's credential (its bot token)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

from switchboard.intake.domain.telegram_sends import BOT_TOKEN
from switchboard.intake.domain.values import Channel

ADAPTER_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
OutboundUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+\S*$")]


class Provider(StrEnum):
    """A provider whose own webhooks and API intake speaks (instead of the signed generic API)."""

    TELEGRAM = "telegram"


def valid_bot_token(token: SecretStr | None) -> SecretStr | None:
    if token is not None and not re.match(BOT_TOKEN, token.get_secret_value()):
        raise ValueError("a Telegram bot token reads <bot id>:<secret>, as BotFather gives it")
    return token


class AdapterSpec(BaseModel):
    """How an operator registers an adapter."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ADAPTER_ID)
    channel: Channel
    region: str | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9-]*$")
    default_country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    """Where national-format phone numbers from this adapter are dialled (ISO 3166)."""
    department: str | None = Field(default=None, max_length=64, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    outbound_url: OutboundUrl | None = None
    """Where replies to the customers it brings are posted, signed with its current secret."""
    provider: Provider | None = None
    bot_token: SecretStr | None = None
    """A ``telegram`` adapter's bot token (sealed at rest, never shown again)."""

    @model_validator(mode="after")
    def _provider_needs(self) -> Self:
        valid_bot_token(self.bot_token)
        if self.provider is Provider.TELEGRAM:
            if self.channel is not Channel.SOCIAL or self.bot_token is None:
                raise ValueError("a telegram adapter is a social one with a bot_token")
            if self.outbound_url is not None:
                raise ValueError("a telegram adapter sends through Telegram, not an outbound_url")
        elif self.bot_token is not None:
            raise ValueError("bot_token belongs to provider telegram")
        return self


@dataclass(frozen=True)
class AdapterView:
    """A registered adapter with its secrets opened (in memory only)."""

    id: str
    channel: Channel
    region: str | None
    default_country: str | None
    department: str | None
    enabled: bool
    current_secret: str
    previous_secret: str | None = None
    previous_secret_expires_at: datetime | None = None
    outbound_url: str | None = None
    provider: Provider | None = None
    provider_credential: str | None = field(default=None, repr=False)
    """Opened: the provider's bot token."""

    @property
    def sends(self) -> bool:
        """Whether outbound messages can go to its customers (an address, or a provider)."""
        return self.enabled and bool(self.outbound_url or self.provider_credential)

    def secrets_in_use(self, now: datetime) -> tuple[str, ...]:
        """The current secret, and the previous one until its grace period ends."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return (self.current_secret, self.previous_secret)
        return (self.current_secret,)

    def public(self) -> dict[str, object]:
        """What the admin API shows: everything but the secrets."""
        return {
            "id": self.id,
            "channel": self.channel.value,
            "region": self.region,
            "default_country": self.default_country,
            "department": self.department,
            "enabled": self.enabled,
            "outbound_url": self.outbound_url,
            "provider": self.provider.value if self.provider else None,
            "previous_secret_expires_at": self.previous_secret_expires_at,
        }
