"""escalation tables: cases, SLA clocks, escalations, webhook deliveries and attempts, config

Revision ID: es0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0001"
down_revision = None
branch_labels = ("escalation",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "esc_cases",
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("customer_tier", sa.String(length=64), nullable=True),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=True),
        sa.Column("sla_policy", sa.String(length=64), nullable=True),
        sa.Column("agent_id", sa.String(length=128), nullable=True),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("first_responded_at", UTCDateTime(), nullable=True),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_esc_cases")),
    )
    op.create_table(
        "esc_config",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=160), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esc_config")),
    )
    op.create_table(
        "esc_escalations",
        sa.Column("escalation_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("trigger", sa.String(length=32), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("level_index", sa.Integer(), nullable=False),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("raised_by", sa.String(length=160), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledge_by", UTCDateTime(), nullable=True),
        sa.Column("assignee", sa.String(length=128), nullable=True),
        sa.Column("acknowledged_by", sa.String(length=128), nullable=True),
        sa.Column("resolved_by", sa.String(length=128), nullable=True),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("escalation_id", name=op.f("pk_esc_escalations")),
    )
    op.create_index(
        op.f("ix_esc_escalations_case_id"), "esc_escalations", ["case_id"], unique=False
    )
    op.create_index(
        "ix_esc_escalations_region_status", "esc_escalations", ["region", "status"], unique=False
    )
    op.create_table(
        "esc_sla_clocks",
        sa.Column("clock_id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=128), nullable=False),
        sa.Column("metric", sa.String(length=24), nullable=False),
        sa.Column("policy", sa.String(length=64), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("target_seconds", sa.Float(), nullable=False),
        sa.Column("thresholds", sa.JSON(), nullable=False),
        sa.Column("escalate_at", sa.JSON(), nullable=False),
        sa.Column("fired", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("accumulated_seconds", sa.Float(), nullable=False),
        sa.Column("running_since", UTCDateTime(), nullable=True),
        sa.Column("completed_at", UTCDateTime(), nullable=True),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("clock_id", name=op.f("pk_esc_sla_clocks")),
    )
    op.create_index(op.f("ix_esc_sla_clocks_case_id"), "esc_sla_clocks", ["case_id"], unique=False)
    op.create_index(
        "ix_esc_sla_clocks_open",
        "esc_sla_clocks",
        ["case_id", "metric", "completed_at"],
        unique=False,
    )
    op.create_table(
        "esc_webhook_attempts",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column(
            "delivery_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("attempted_at", UTCDateTime(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("duration_ms", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esc_webhook_attempts")),
    )
    op.create_index(
        op.f("ix_esc_webhook_attempts_delivery_id"),
        "esc_webhook_attempts",
        ["delivery_id"],
        unique=False,
    )
    op.create_table(
        "esc_webhook_deliveries",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_esc_webhook_deliveries")),
    )
    op.create_index(
        "ix_esc_webhook_deliveries_due",
        "esc_webhook_deliveries",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "uq_esc_webhook_deliveries_message",
        "esc_webhook_deliveries",
        ["message_id", "coordinator_id"],
        unique=True,
    )


def downgrade() -> None:
    for table in (
        "esc_config",
        "esc_webhook_attempts",
        "esc_webhook_deliveries",
        "esc_escalations",
        "esc_sla_clocks",
        "esc_cases",
    ):
        op.drop_table(table)
