"""Intake's settings, read from ``SWITCHBOARD_INTAKE_*`` variables when the service is
assembled (never at import)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from switchboard.intake.adapters.secret_box import SecretBox, dev_key
from switchboard.intake.domain.language import DEFAULT_LANGUAGES, lingua_language
from switchboard.intake.domain.mail_recipients import MailRecipients
from switchboard.intake.domain.priority import DEFAULT_CHANNEL_PRIORITIES
from switchboard.intake.domain.values import Channel, Priority
from switchboard.servicekit.auth import BearerServiceSettings
from switchboard.servicekit.http import LimitText

MAX_HTTP_WORKERS = 64


@dataclass(frozen=True)
class SmtpListener:
    """Where and how intake's own mail receiver listens (``smtp_*`` settings)."""

    host: str
    port: int
    protocol: Literal["smtp", "lmtp"]
    max_message_bytes: int
    adapter_id: str
    recipients: MailRecipients


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
    telegram_api_base: str = Field(
        default="https://api.telegram.org", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )
    """Where Telegram adapters' ``sendMessage`` requests go (``<base>/bot<token>/sendMessage``)."""
    twilio_api_base: str = Field(
        default="https://api.twilio.com", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )
    """Where Twilio adapters' Messages API requests go
    (``<base>/2010-04-01/Accounts/<AccountSid>/Messages.json``)."""
    public_base_url: str | None = Field(default=None, pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$")
    """Intake's base URL as providers reach it (``https://intake.example.com``, through the
    proxy): the URL Twilio signs is this plus the request's path and query. Unset: the URL of
    the request as intake sees it (right only when nothing in between rewrites its host,
    scheme or port)."""
    meta_graph_base: str = Field(
        default="https://graph.facebook.com/v23.0", pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
    )
    """Meta's Graph API with its version: WhatsApp, Messenger and Instagram adapters' replies
    go to ``<base>/<sender id>/messages``."""
    inbound_mail_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    """The largest body of an inbound-mail service's webhook (``/v1/providers/sendgrid``,
    ``postmark``, ``mailgun``), instead of ``max_body_bytes``: a whole message with its
    attachments (SendGrid takes up to 30 MB, Postmark 35 MB, base64 in its JSON)."""
    smtp_enabled: bool = False
    """Receive mail over SMTP or LMTP from a mail server (``entrypoints/smtp_receiver``)."""
    smtp_host: str = "127.0.0.1"
    smtp_port: int = Field(default=2525, ge=0, le=65535)
    smtp_protocol: Literal["smtp", "lmtp"] = "smtp"
    smtp_max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    smtp_adapter_id: str = ""
    """The e-mail adapter the received mail counts as posted by (its region, its replies)."""
    smtp_recipients: Annotated[tuple[str, ...], NoDecode] = ()
    """Domains and addresses taken, comma-separated (``acme.test,help@other.test``)."""

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

    @field_validator("smtp_recipients", mode="before")
    @classmethod
    def _recipients_from_text(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value

    @model_validator(mode="after")
    def _smtp_receives_for_someone(self) -> Self:
        if self.smtp_enabled and not (self.smtp_adapter_id and self.smtp_recipients):
            raise ValueError("smtp_enabled needs smtp_adapter_id and smtp_recipients")
        return self

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

    def smtp_listener(self) -> SmtpListener | None:
        if not self.smtp_enabled:
            return None
        return SmtpListener(
            host=self.smtp_host,
            port=self.smtp_port,
            protocol=self.smtp_protocol,
            max_message_bytes=self.smtp_max_message_bytes,
            adapter_id=self.smtp_adapter_id,
            recipients=MailRecipients.of(self.smtp_recipients),
        )
