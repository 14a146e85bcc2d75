"""servicekit tables: outgoing HTTP deliveries and their attempts

Revision ID: sk0003
Revises: sk0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db.types import UTCDateTime

revision = "sk0003"
down_revision = "sk0002"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "sk_deliveries",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("stream", sa.String(64), nullable=False),
        sa.Column("recipient", sa.String(128), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("message_id", sa.String(64), nullable=False),
        sa.Column("url", sa.String(2048), nullable=False),
        sa.Column("event_type", sa.String(255), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt_at", UTCDateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("created_at", UTCDateTime, nullable=False),
        sa.Column("delivered_at", UTCDateTime, nullable=True),
    )
    op.create_index("ix_sk_deliveries_due", "sk_deliveries", ["status", "next_attempt_at"])
    op.create_index(
        "uq_sk_deliveries_message",
        "sk_deliveries",
        ["stream", "message_id", "recipient"],
        unique=True,
    )
    op.create_table(
        "sk_delivery_attempts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("delivery_id", BigId, nullable=False),
        sa.Column("attempted_at", UTCDateTime, nullable=False),
        sa.Column("status_code", sa.Integer, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("duration_ms", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_sk_delivery_attempts_delivery_id", "sk_delivery_attempts", ["delivery_id"]
    )


def downgrade() -> None:
    op.drop_table("sk_delivery_attempts")
    op.drop_table("sk_deliveries")
