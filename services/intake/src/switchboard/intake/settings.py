"""Intake's settings, read from ``SWITCHBOARD_INTAKE_*`` variables when the service is
assembled (never at import)."""

from __future__ import annotations

from datetime import timedelta
from typing import Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from switchboard.intake.adapters.secret_box import SecretBox, dev_key
from switchboard.intake.domain.language import DEFAULT_LANGUAGES, lingua_language
from switchboard.intake.domain.priority import DEFAULT_CHANNEL_PRIORITIES
from switchboard.intake.domain.values import Channel, Priority
from switchboard.servicekit.auth import BearerServiceSettings
from switchboard.servicekit.http import LimitText

MAX_HTTP_WORKERS = 64


class IntakeSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_INTAKE_", extra="ignore")

    service_name: str = "intake"
    database_url: str = "sqlite+aiosqlite:///./.data/intake.db"
    http_port: int = 8001
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES))
    language_min_confidence: float = Field(default=0.35, ge=0, le=1)
    default_region: str = Field(default="global", max_length=32, pattern=r"^[a-z][a-z0-9-]*$")
    reopen_window_hours: float = Field(default=168, ge=0)
    previous_secret_grace_hours: float = Field(default=24, ge=0)
    channel_priorities: dict[Channel, Priority] = Field(
        default_factory=lambda: dict(DEFAULT_CHANNEL_PRIORITIES)
    )
    vip_priority: Priority = Priority.HIGH
    adapter_cache_seconds: float = Field(default=5.0, ge=0)
    adapter_secret_keys: SecretStr = SecretStr(dev_key("adapter-secrets"))
    """Fernet keys sealing the adapter secrets at rest, comma-separated: the first seals,
    all open (rotate by putting a new one first). ``switchboard-intake adapters new-key``."""
    accept_batch_size: int = Field(default=64, ge=1, le=1000)
    """Most contacts committed in one transaction (group commit under load)."""
    adapter_rate_limit: LimitText = "1000/second;20000/minute"
    """Contacts one adapter may post, per worker process (429 beyond); empty: no limit."""
    mail_domain: str = Field(
        default="switchboard.invalid", max_length=253, pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$"
    )
    """The right-hand side of the Message-IDs of e-mail replies (``<reply-id@domain>``)."""
    outbound_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    outbound_first_retry_seconds: float = Field(default=1.0, gt=0)
    outbound_max_retry_seconds: float = Field(default=300.0, gt=0)
    outbound_max_attempts: int = Field(default=8, ge=1, le=50)
    """Attempts to hand a reply to its adapter before it counts as failed."""

    @field_validator("http_workers")
    @classmethod
    def _workers_within_reason(cls, workers: int) -> int:
        # Each worker process loads its own language models and database pool.
        if workers > MAX_HTTP_WORKERS:
            raise ValueError(f"at most {MAX_HTTP_WORKERS} http_workers")
        return workers

    @field_validator("languages")
    @classmethod
    def _languages_known_to_lingua(cls, tags: list[str]) -> list[str]:
        for tag in tags:
            lingua_language(tag)
        return tags

    @model_validator(mode="after")
    def _adapter_secret_keys(self) -> Self:
        keys = self.adapter_secret_keys.get_secret_value()
        self.secret_box()  # a key that is no Fernet key fails here, naming its position
        if self.environment == "production" and dev_key("adapter-secrets") in keys:
            raise ValueError("adapter_secret_keys must be real keys in production")
        return self

    def secret_box(self) -> SecretBox:
        return SecretBox.from_setting(self.adapter_secret_keys.get_secret_value())

    @property
    def reopen_window(self) -> timedelta:
        return timedelta(hours=self.reopen_window_hours)

    @property
    def previous_secret_grace(self) -> timedelta:
        return timedelta(hours=self.previous_secret_grace_hours)
