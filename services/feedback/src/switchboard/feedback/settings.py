"""Feedback's settings, read from ``SWITCHBOARD_FEEDBACK_*`` variables when the service is
assembled (never at import)."""

from __future__ import annotations

from datetime import timedelta
from typing import Self
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import SettingsConfigDict

from switchboard.feedback.domain.answers import DetractorRule, Threshold
from switchboard.feedback.domain.surveys import SurveyPolicy
from switchboard.feedback.domain.templates import Question
from switchboard.feedback.domain.tokens import MIN_SECRET_BYTES
from switchboard.servicekit.auth import BearerServiceSettings
from switchboard.servicekit.http import LimitText
from switchboard.servicekit.settings import refuse_placeholder


class FeedbackSettings(BearerServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_FEEDBACK_", extra="ignore")

    service_name: str = "feedback"
    database_url: str = "sqlite+aiosqlite:///./.data/feedback.db"
    http_port: int = 8004

    survey_delay_seconds: float = Field(default=3600, ge=0)
    survey_suppression_days: float = Field(default=30, ge=0)
    survey_expiry_days: float = Field(default=14, gt=0)
    survey_questions: tuple[Question, ...] = (Question.CSAT, Question.NPS, Question.CES)
    public_base_url: str = "http://127.0.0.1:8004"
    intake_url: str | None = None
    """Where feedback asks intake for a customer's data key, to seal survey comments in its
    events (a token it issues itself: the shared JWT secret, role admin); unset, comments
    go out plain."""
    survey_rate_limit: LimitText = "30/minute"
    """Requests to the public survey link per client address (per worker); empty: none."""
    link_secrets: tuple[SecretStr, ...] = (SecretStr("dev-only-survey-link-secret-0000000000"),)
    """The first signs new links; all verify (rotation)."""

    detractor_nps_at_most: int | None = Field(default=6, ge=0, le=10)
    detractor_csat_at_most: int | None = Field(default=2, ge=1, le=5)
    detractor_ces_at_most: int | None = Field(default=2, ge=1, le=7)

    timer_batch_size: int = Field(default=1, ge=1)
    """One due survey per transaction: a survey locks its case and customer, so a batch would
    hold some while waiting on another case's."""

    rollup_fold_batch: int = Field(default=5_000, ge=1, le=100_000)
    """Roll-up deltas folded into the roll-ups per transaction."""
    rollup_fold_seconds: float = Field(default=0.25, gt=0, le=60)
    """Pause of the roll-up folder when it has caught up."""

    region_time_zones: dict[str, str] = Field(default_factory=dict)
    """Roll-up days, weeks and months follow each region's local calendar; UTC otherwise."""

    kpi_max_buckets: int = 400

    @field_validator("survey_questions")
    @classmethod
    def _questions_are_distinct(cls, value: tuple[Question, ...]) -> tuple[Question, ...]:
        if not value or len(set(value)) != len(value):
            raise ValueError("survey_questions needs one or more distinct questions")
        return value

    @field_validator("region_time_zones")
    @classmethod
    def _zones_exist(cls, value: dict[str, str]) -> dict[str, str]:
        for region, name in value.items():
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError) as error:
                raise ValueError(f"unknown time zone {name!r} for region {region!r}") from error
        return value

    @model_validator(mode="after")
    def _secrets_are_real(self) -> Self:
        if not self.link_secrets:
            raise ValueError("link_secrets needs at least one secret")
        for secret in self.link_secrets:
            if len(secret.get_secret_value().encode()) < MIN_SECRET_BYTES:
                raise ValueError(f"link secrets need at least {MIN_SECRET_BYTES} bytes")
        if self.environment == "production":
            value = self.link_secrets[0].get_secret_value()
            refuse_placeholder(
                "" if value.startswith("dev-only-") else value, "link_secrets", "production"
            )
        return self

    @property
    def survey_policy(self) -> SurveyPolicy:
        return SurveyPolicy(
            delay=timedelta(seconds=self.survey_delay_seconds),
            suppression=timedelta(days=self.survey_suppression_days),
            expiry=timedelta(days=self.survey_expiry_days),
        )

    @property
    def detractor_rule(self) -> DetractorRule:
        limits = (
            (Question.NPS, self.detractor_nps_at_most),
            (Question.CSAT, self.detractor_csat_at_most),
            (Question.CES, self.detractor_ces_at_most),
        )
        return DetractorRule(
            tuple(Threshold(q, at_most) for q, at_most in limits if at_most is not None)
        )

    @property
    def link_secret_bytes(self) -> tuple[bytes, ...]:
        return tuple(secret.get_secret_value().encode() for secret in self.link_secrets)
