"""The settings every service shares; each service subclasses with its own env prefix.

Settings are built by ``load()`` in the composition root, never at import time, so tests
can point a service at the broker and database they started.
"""

from __future__ import annotations

import json
from typing import Annotated, Self
from urllib.parse import urlsplit

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from switchboard.servicekit.kafka import KafkaConnection, SaslMechanism, SecurityProtocol

PLACEHOLDER_SECRETS = {"", "changeme", "change-me", "secret", "dev", "test"}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_", extra="ignore")

    service_name: str = "switchboard"
    environment: str = Field(default="local", description="local, test, ci or production")
    database_url: str = "sqlite+aiosqlite:///./.data/switchboard.db"
    kafka_bootstrap_servers: str = Field(  # type: ignore[pydantic-alias]
        default="127.0.0.1:9092",
        validation_alias=AliasChoices("KAFKA_BOOTSTRAP_SERVERS", "kafka_bootstrap_servers"),
    )
    kafka_security_protocol: SecurityProtocol = Field(  # type: ignore[pydantic-alias]
        default="PLAINTEXT",
        validation_alias=AliasChoices("KAFKA_SECURITY_PROTOCOL", "kafka_security_protocol"),
    )
    """PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (a managed Kafka: SASL_SSL)."""
    kafka_sasl_mechanism: SaslMechanism | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_MECHANISM", "kafka_sasl_mechanism"),
    )
    kafka_sasl_username: str | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_USERNAME", "kafka_sasl_username"),
    )
    kafka_sasl_password: SecretStr | None = Field(  # type: ignore[pydantic-alias]
        default=None,
        validation_alias=AliasChoices("KAFKA_SASL_PASSWORD", "kafka_sasl_password"),
    )
    kafka_ssl_cafile: str | None = Field(  # type: ignore[pydantic-alias]
        default=None, validation_alias=AliasChoices("KAFKA_SSL_CAFILE", "kafka_ssl_cafile")
    )
    kafka_ssl_certfile: str | None = Field(  # type: ignore[pydantic-alias]
        default=None, validation_alias=AliasChoices("KAFKA_SSL_CERTFILE", "kafka_ssl_certfile")
    )
    kafka_ssl_keyfile: str | None = Field(  # type: ignore[pydantic-alias]
        default=None, validation_alias=AliasChoices("KAFKA_SSL_KEYFILE", "kafka_ssl_keyfile")
    )
    kafka_replication_factor: int = Field(  # type: ignore[pydantic-alias]
        default=1,
        ge=1,
        validation_alias=AliasChoices("KAFKA_REPLICATION_FACTOR", "kafka_replication_factor"),
    )
    """Of the topics the service creates when they are missing."""
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    log_level: str = "INFO"
    log_json: bool = True
    otel_exporter: str = Field(default="none", description="none, console or otlp")
    otel_endpoint: str | None = None
    outbox_poll_seconds: float = 0.5
    outbox_batch_size: int = 500
    timer_poll_seconds: float = 0.1
    timer_batch_size: int = 500
    consumer_group: str = ""
    """The consumer group of the service's replicas; empty: the service's name."""
    consumer_max_attempts: int = 4
    consumer_retry_backoff_seconds: float = 0.2
    consumer_records_per_transaction: int = Field(default=1, ge=1)
    """Consecutive records handled in one transaction (one commit) under load."""
    topic_names: dict[str, str] = Field(default_factory=dict)
    """A contract topic read under another name (``{"switchboard.cases": "test-cases-1"}``):
    tests give a service topics of its own on a shared broker."""
    http_workers: int = Field(default=1, ge=1)
    """uvicorn worker processes (each runs its own background loops)."""
    max_body_bytes: int = 1_048_576
    topic_partitions: int = 3
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    """Browser origins allowed to call the API (CORS), e.g. ``http://127.0.0.1:8003``;
    comma-separated or a JSON list. Empty: no CORS headers at all."""

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _origins_from_text(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [origin.strip() for origin in text.split(",") if origin.strip()]

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_bare(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for origin in value:
            parts = urlsplit(origin)
            if origin != "*" and not (
                parts.scheme and parts.netloc and origin.endswith(parts.netloc)
            ):
                raise ValueError(
                    f"cors origin {origin!r} must be scheme://host[:port], no path or slash"
                )
        return value

    @model_validator(mode="after")
    def _group_defaults_to_the_service(self) -> Self:
        if not self.consumer_group:
            self.consumer_group = self.service_name
        return self

    @model_validator(mode="after")
    def _kafka_connection_is_whole(self) -> Self:
        connection = self.kafka  # raises a ValueError on a half-configured TLS or SASL
        if (
            self.environment == "production"
            and connection.security_protocol == "SASL_PLAINTEXT"
            and connection.sasl_mechanism == "PLAIN"
        ):
            raise ValueError(
                "production refuses SASL PLAIN without TLS: the password travels "
                "in clear; use SASL_SSL (or SCRAM)"
            )
        return self

    @property
    def kafka(self) -> KafkaConnection:
        """The connection every Kafka client of the service uses."""
        password = self.kafka_sasl_password
        return KafkaConnection(
            bootstrap_servers=self.kafka_bootstrap_servers,
            security_protocol=self.kafka_security_protocol,
            sasl_mechanism=self.kafka_sasl_mechanism,
            sasl_username=self.kafka_sasl_username,
            sasl_password=password.get_secret_value() if password else None,
            ssl_cafile=self.kafka_ssl_cafile,
            ssl_certfile=self.kafka_ssl_certfile,
            ssl_keyfile=self.kafka_ssl_keyfile,
            replication_factor=self.kafka_replication_factor,
        )

    def topic_name(self, contract_name: str) -> str:
        return self.topic_names.get(contract_name, contract_name)

    @model_validator(mode="after")
    def _production_needs_real_infrastructure(self) -> Self:
        if self.environment == "production" and self.database_url.startswith("sqlite"):
            raise ValueError("production needs a PostgreSQL database_url, not SQLite")
        if self.environment == "production" and "*" in self.cors_origins:
            raise ValueError("cors_origins may not be '*' in production: list the origins")
        return self

    @classmethod
    def load(cls, **overrides: object) -> Self:
        """Build the settings from the environment, with explicit overrides winning."""
        return cls(**overrides)  # type: ignore[arg-type]


def refuse_placeholder(value: str, name: str, environment: str) -> str:
    """A secret may be a placeholder locally, never in production."""
    if environment == "production" and value.strip().lower() in PLACEHOLDER_SECRETS:
        raise ValueError(f"{name} must be set to a real secret in production")
    return value
