"""servicekit tables: outbox, inbox, timers

Revision ID: sk0001
Revises:
Create Date: 2026-11-24

Spelled out rather than created from ``tables.py``, so that a later change to those Table
objects comes with its own revision and this one stays what it was.
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db.types import UTCDateTime

revision = "sk0001"
down_revision = None
branch_labels = ("servicekit",)
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sk_outbox",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(64), nullable=False, unique=True),
        sa.Column("lane", sa.Integer, nullable=False),
        sa.Column("topic", sa.String(255), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("headers", sa.JSON, nullable=False),
        sa.Column("payload", sa.LargeBinary, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("published_at", UTCDateTime, nullable=True),
    )
    pending = sa.text("published_at IS NULL")
    op.create_index(
        "ix_sk_outbox_pending", "sk_outbox", ["id"],
        postgresql_where=pending, sqlite_where=pending,
    )
    op.create_index("ix_sk_outbox_published_at", "sk_outbox", ["published_at"])
    op.create_table(
        "sk_inbox",
        sa.Column("consumer_group", sa.String(255), primary_key=True),
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("processed_at", UTCDateTime, nullable=False),
    )
    op.create_table(
        "sk_timers",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(100), nullable=False),
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("due_at", UTCDateTime, nullable=False),
        sa.Column("payload", sa.JSON, nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("dead_at", UTCDateTime, nullable=True),
        sa.Column("trace", sa.JSON, nullable=True),
    )
    op.create_index("uq_sk_timers_kind_key", "sk_timers", ["kind", "key"], unique=True)
    live = sa.text("dead_at IS NULL")
    op.create_index(
        "ix_sk_timers_due", "sk_timers", ["due_at"], postgresql_where=live, sqlite_where=live
    )


def downgrade() -> None:
    op.drop_table("sk_timers")
    op.drop_table("sk_inbox")
    op.drop_table("sk_outbox")
