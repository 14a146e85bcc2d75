"""A provider's credential as an operator gives it when registering an adapter (a bot token;
an account id with its auth token; an app secret with an access token): validated, stored
sealed as text, opened only in memory, never shown again."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, SecretStr

from switchboard.intake.domain.signatures import new_secret


@dataclass(frozen=True)
class SendOrigin:
    """Where an outbound message leaves from, for a provider that must be told where to
    report back (a status callback)."""

    adapter_id: str
    public_base_url: str | None
    """Intake's base URL as providers reach it (a setting); None when not configured."""

    def public_url(self, path: str) -> str | None:
        if not self.public_base_url:
            return None
        return self.public_base_url.rstrip("/") + path


class ProviderCredential(BaseModel):
    """Subclassed per provider. Stored as JSON of its values (secrets revealed; the text is
    sealed by the caller) unless a provider stores it otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sends: ClassVar[bool] = True
    """Whether intake sends to customers through the provider's API with it (a provider
    intake only receives from is False: its adapter may have an outbound address)."""

    def stored(self) -> str:
        return json.dumps({name: _revealed(value) for name, value in self}, sort_keys=True)

    @classmethod
    def from_stored(cls, text: str) -> Self:
        return cls.model_validate_json(text)

    @classmethod
    def webhook_secret(cls) -> str:
        """The adapter's own secret when it is registered or rotated (what the provider's
        webhooks are checked with, when the provider lets one be chosen)."""
        return new_secret()


def _revealed(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value
