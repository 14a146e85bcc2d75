"""Channel adapters: who may post contacts, for which channel and region, signed with which
secrets (the current one, and the previous one while a rotation's grace period lasts); a
provider's adapter also holds the provider's credential (``CREDENTIALS``: a Telegram bot's
token, say), sealed at rest."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Self, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints, model_validator

from switchboard.intake.domain.credentials import ProviderCredential
from switchboard.intake.domain.inbound_mailgun import MailgunRoutes
from switchboard.intake.domain.meta_sends import MetaApp
from switchboard.intake.domain.smtp_sends import SmtpRelay
from switchboard.intake.domain.telegram_sends import TelegramBot
from switchboard.intake.domain.twilio_credentials import TwilioAccount
from switchboard.intake.domain.values import Channel

ADAPTER_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
OutboundUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+\S*$")]


class Provider(StrEnum):
    """A provider whose own webhooks and API intake speaks (instead of the signed generic API)."""

    TELEGRAM = "telegram"
    SMTP = "smtp"
    """Replies by e-mail through the team's mail server (contacts come in as any e-mail)."""
    TWILIO = "twilio"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    INSTAGRAM = "instagram"
    MAILGUN = "mailgun"
    """Mail in through Mailgun's routes, signed with the account's webhook signing key
    (receive only: replies go to the adapter's outbound_url, if it has one)."""


AnyCredential = TelegramBot | SmtpRelay | TwilioAccount | MetaApp | MailgunRoutes
"""What ``credentials`` takes: one of the providers' credential models (a union as more come)."""
CREDENTIALS: dict[Provider, type[ProviderCredential]] = {
    Provider.TELEGRAM: TelegramBot,
    Provider.SMTP: SmtpRelay,
    Provider.TWILIO: TwilioAccount,
    Provider.WHATSAPP: MetaApp,
    Provider.MESSENGER: MetaApp,
    Provider.INSTAGRAM: MetaApp,
    Provider.MAILGUN: MailgunRoutes,
}
"""The credential each provider's adapter holds."""
CHANNELS: dict[Provider, frozenset[Channel]] = {
    Provider.TELEGRAM: frozenset({Channel.SOCIAL}),
    Provider.SMTP: frozenset({Channel.EMAIL}),
    Provider.TWILIO: frozenset({Channel.SOCIAL, Channel.PHONE}),
    Provider.WHATSAPP: frozenset({Channel.SOCIAL}),
    Provider.MESSENGER: frozenset({Channel.SOCIAL}),
    Provider.INSTAGRAM: frozenset({Channel.SOCIAL}),
    Provider.MAILGUN: frozenset({Channel.EMAIL}),
}
"""The channels a provider's adapters serve."""
assert set(CREDENTIALS) == set(CHANNELS) == set(Provider)
assert set(get_args(AnyCredential) or (AnyCredential,)) == set(CREDENTIALS.values())


def valid_bot_token(token: SecretStr | None) -> SecretStr | None:
    if token is not None:
        TelegramBot(bot_token=token)
    return token


def credential_fits(provider: Provider, credential: ProviderCredential) -> None:
    """Raises ValueError unless the credential is the provider's kind."""
    expected = CREDENTIALS[provider]
    if type(credential) is not expected:
        fields = ", ".join(expected.model_fields)
        raise ValueError(f"a {provider.value} adapter's credentials are {{{fields}}}")


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
    credentials: AnyCredential | None = None
    """The provider's credential (sealed at rest, never shown again)."""
    bot_token: SecretStr | None = None
    """A ``telegram`` adapter's bot token: short for ``credentials: {"bot_token": …}``."""

    @model_validator(mode="after")
    def _provider_needs(self) -> Self:
        valid_bot_token(self.bot_token)
        if self.bot_token is not None and self.provider is not Provider.TELEGRAM:
            raise ValueError("bot_token belongs to provider telegram")
        if self.bot_token is not None and self.credentials is not None:
            raise ValueError("give the bot token once: bot_token or credentials")
        credential = self.credential()
        if self.provider is None:
            if credential is not None:
                raise ValueError("credentials belong to a provider's adapter")
            return self
        name = self.provider.value
        if self.channel not in CHANNELS[self.provider]:
            channels = " or ".join(sorted(CHANNELS[self.provider]))
            raise ValueError(f"a {name} adapter is a {channels} one")
        if credential is None:
            raise ValueError(f"a {name} adapter needs its credentials")
        credential_fits(self.provider, credential)
        if credential.sends and self.outbound_url is not None:
            raise ValueError(f"a {name} adapter sends through {name}, not an outbound_url")
        return self

    def credential(self) -> ProviderCredential | None:
        if self.bot_token is not None:
            return TelegramBot(bot_token=self.bot_token)
        return self.credentials


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
    credential: ProviderCredential | None = field(default=None, repr=False)
    """Opened: the provider's credential."""
    previous_credential: ProviderCredential | None = field(default=None, repr=False)
    """Opened: the credential it replaced, still good for checking the provider's webhooks
    until ``previous_credential_expires_at`` (a rotation's grace period)."""
    previous_credential_expires_at: datetime | None = None

    @property
    def sends(self) -> bool:
        """Whether outbound messages can go to its customers (an address, or a provider)."""
        through_provider = self.credential is not None and self.credential.sends
        return self.enabled and bool(self.outbound_url or through_provider)

    def secrets_in_use(self, now: datetime) -> tuple[str, ...]:
        """The current secret, and the previous one until its grace period ends."""
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return (self.current_secret, self.previous_secret)
        return (self.current_secret,)

    def credentials_in_use(self, now: datetime) -> tuple[ProviderCredential, ...]:
        """What the provider's webhooks may be signed with: the current credential, and the
        previous one until its grace period ends (sending uses the current one only)."""
        current = (self.credential,) if self.credential is not None else ()
        expires = self.previous_credential_expires_at
        if self.previous_credential is not None and expires is not None and now < expires:
            return (*current, self.previous_credential)
        return current

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
            "previous_credentials_expire_at": self.previous_credential_expires_at,
        }
