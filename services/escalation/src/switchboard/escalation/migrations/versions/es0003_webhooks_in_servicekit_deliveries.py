"""coordinator webhooks go through servicekit's deliveries: the queue and its attempts move
from esc_webhook_deliveries / esc_webhook_attempts into sk_deliveries / sk_delivery_attempts
(stream ``coordinator-webhooks``), then the old tables are dropped

Revision ID: es0003
Revises: es0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0003"
down_revision = "es0002"
branch_labels = None
depends_on = ("sk0003",)

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.execute(
        "INSERT INTO sk_deliveries (stream, recipient, region, message_id, url, event_type,"
        " body, status, attempts, next_attempt_at, last_error, created_at, delivered_at)"
        " SELECT 'coordinator-webhooks', coordinator_id, region, message_id, url, event_type,"
        " body, status, attempts, next_attempt_at, last_error, created_at, delivered_at"
        " FROM esc_webhook_deliveries ORDER BY id"
    )
    op.execute(
        "INSERT INTO sk_delivery_attempts (delivery_id, attempted_at, status_code, error,"
        " duration_ms)"
        " SELECT sk.id, a.attempted_at, a.status_code, a.error, a.duration_ms"
        " FROM esc_webhook_attempts a"
        " JOIN esc_webhook_deliveries d ON d.id = a.delivery_id"
        " JOIN sk_deliveries sk ON sk.stream = 'coordinator-webhooks'"
        " AND sk.message_id = d.message_id AND sk.recipient = d.coordinator_id"
        " ORDER BY a.id"
    )
    op.drop_index("ix_esc_webhook_attempts_delivery_id", table_name="esc_webhook_attempts")
    op.drop_table("esc_webhook_attempts")
    op.drop_index("ix_esc_webhook_deliveries_due", table_name="esc_webhook_deliveries")
    op.drop_index("uq_esc_webhook_deliveries_message", table_name="esc_webhook_deliveries")
    op.drop_table("esc_webhook_deliveries")


def downgrade() -> None:
    op.create_table(
        "esc_webhook_deliveries",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("coordinator_id", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("event_type", sa.String(length=255), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("delivered_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_esc_webhook_deliveries"),
    )
    op.create_index(
        "ix_esc_webhook_deliveries_due", "esc_webhook_deliveries", ["status", "next_attempt_at"]
    )
    op.create_index(
        "uq_esc_webhook_deliveries_message",
        "esc_webhook_deliveries",
        ["message_id", "coordinator_id"],
        unique=True,
    )
    op.create_table(
        "esc_webhook_attempts",
        sa.Column("id", BigId, autoincrement=True, nullable=False),
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_esc_webhook_attempts"),
    )
    op.create_index(
        "ix_esc_webhook_attempts_delivery_id", "esc_webhook_attempts", ["delivery_id"]
    )
