"""Channel adapters: who may post contacts, for which channel and region, signed with which
secrets (the current one, and the previous one while a rotation's grace period lasts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from switchboard.intake.domain.values import Channel

ADAPTER_ID = r"^[a-z0-9][a-z0-9_-]{0,63}$"
OutboundUrl = Annotated[str, StringConstraints(max_length=2048, pattern=r"^https?://[^\s/?#]+\S*$")]


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
            "previous_secret_expires_at": self.previous_secret_expires_at,
        }
