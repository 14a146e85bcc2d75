"""The tables servicekit keeps in every service's database: outbox, inbox, timers and
outgoing HTTP deliveries.

They live in their own metadata and their own alembic branch (``servicekit``), so a
service's migrations never redefine them.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
)

from switchboard.servicekit.db.types import UTCDateTime

kit_metadata = MetaData()

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets a BIGINT identity.
_BigId = BigInteger().with_variant(Integer(), "sqlite")

outbox = Table(
    "sk_outbox",
    kit_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("event_id", String(64), nullable=False, unique=True),
    Column("lane", Integer, nullable=False),
    Column("topic", String(255), nullable=False),
    Column("key", String(255), nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("headers", JSON, nullable=False),
    Column("payload", LargeBinary, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)
"""Events not yet on Kafka: the relay deletes a row once Kafka acknowledged it."""

inbox = Table(
    "sk_inbox",
    kit_metadata,
    Column("consumer_group", String(255), primary_key=True),
    Column("event_id", String(64), primary_key=True),
    Column("event_type", String(255), nullable=False),
    Column("processed_at", UTCDateTime, nullable=False),
)

timers = Table(
    "sk_timers",
    kit_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("kind", String(100), nullable=False),
    Column("key", String(255), nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    Column("payload", JSON, nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("dead_at", UTCDateTime, nullable=True),
    Column("trace", JSON, nullable=True),
    Index("uq_sk_timers_kind_key", "kind", "key", unique=True),
    Index(
        "ix_sk_timers_due",
        "due_at",
        postgresql_where=Column("dead_at").is_(None),
        sqlite_where=Column("dead_at").is_(None),
    ),
)

deliveries = Table(
    "sk_deliveries",
    kit_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("stream", String(64), nullable=False),
    Column("recipient", String(128), nullable=False),
    Column("region", String(32), nullable=False),
    Column("message_id", String(64), nullable=False),
    Column("url", String(2048), nullable=False),
    Column("event_type", String(255), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime, nullable=True),
    Column("last_error", Text, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("delivered_at", UTCDateTime, nullable=True),
    Index("ix_sk_deliveries_due", "status", "next_attempt_at"),
    Index("uq_sk_deliveries_message", "stream", "message_id", "recipient", unique=True),
)
"""Signed HTTP requests waiting to be sent, sent, or dead after their retries: one per
message and recipient of a stream (coordinators' webhooks, adapters' outbound messages)."""

delivery_attempts = Table(
    "sk_delivery_attempts",
    kit_metadata,
    Column("id", _BigId, primary_key=True, autoincrement=True),
    Column("delivery_id", _BigId, nullable=False, index=True),
    Column("attempted_at", UTCDateTime, nullable=False),
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Float, nullable=False),
)
"""Each delivery's log: every attempt with the answer's status or the error."""
