"""Escalation's settings, read from ``SWITCHBOARD_ESCALATION_*`` variables in ``bootstrap()``."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from switchboard.servicekit.auth import BearerServiceSettings


class EscalationSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_ESCALATION_", extra="ignore")

    service_name: str = "escalation"
    database_url: str = "sqlite+aiosqlite:///./.data/escalation.db"
    http_port: int = 8003
    consumer_group: str = "escalation"
    config_file: Path | None = None
    """YAML policies, calendars and coordinators, loaded into the database at start."""
    config_refresh_seconds: float = Field(default=1.0, ge=0)
    webhook_first_retry_seconds: float = Field(default=1.0, gt=0)
    webhook_max_retry_seconds: float = Field(default=600.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.2, gt=0)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
