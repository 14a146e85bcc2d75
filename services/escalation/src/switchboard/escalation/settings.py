"""Escalation's settings, read from ``SWITCHBOARD_ESCALATION_*`` variables when the service is
assembled (never at import)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from switchboard.servicekit.auth import BearerServiceSettings


class EscalationSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_ESCALATION_", extra="ignore")

    service_name: str = "escalation"
    database_url: str = "sqlite+aiosqlite:///./.data/escalation.db"
    http_port: int = 8003
    config_file: Path | None = None
    """YAML policies, calendars and coordinators, loaded into the database at start."""
    config_refresh_seconds: float = Field(default=1.0, ge=0)
    webhook_first_retry_seconds: float = Field(default=1.0, gt=0)
    webhook_max_retry_seconds: float = Field(default=600.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_poll_seconds: float = Field(default=0.2, gt=0)
    breach_margin_share: float = Field(default=0.1, ge=0.0, lt=1.0)
    """A waiting case is predicted to breach when routing expects its offer later than its
    first-response deadline less this share of the target (time to accept and reply)."""
    problem_lexicon_cache: Path = Path(".cache/problem-lexicon.json")
    """The pivot lexicon built from the installed FreeDict dictionaries (rebuilt when they
    change): problems across regions group contacts' texts through it."""
    problem_dictionaries: Path = Path("/usr/share/dictd")
    problem_window_minutes: float = Field(default=10.0, gt=0)
    problem_min_contacts: int = Field(default=4, ge=1)
    sse_heartbeat_seconds: float = Field(default=15.0, gt=0)
    console_routing_url: str = "http://127.0.0.1:8002"
    """Where the coordinator console's browser reaches routing (queues, agents)."""
    console_feedback_url: str = "http://127.0.0.1:8004"
    """Where the coordinator console's browser reaches feedback (KPIs)."""
    console_intake_url: str = "http://127.0.0.1:8001"
    """Where the coordinator console's browser reaches intake (a case's conversation)."""

    intake_url: str = "http://127.0.0.1:8001"
    """Where escalation asks intake for a customer's data key, to read a contact's sealed
    text (the angry-message trigger); with a token it issues itself (the shared JWT secret,
    role admin)."""

    @field_validator(
        "console_routing_url", "console_feedback_url", "console_intake_url", "intake_url"
    )
    @classmethod
    def _http_base_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http(s) URL such as http://127.0.0.1:8002")
        if parts.query or parts.fragment or parts.username or parts.password:
            raise ValueError("must be a plain base URL, without query, fragment or credentials")
        return value.strip().rstrip("/")
