"""pools' staffing alerts: esc_staffing_alerts (raised from routing's StaffingShortfall,
acknowledged by a coordinator of the region, resolved on StaffingRecovered)

Revision ID: es0005
Revises: es0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0005"
down_revision = "es0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "esc_staffing_alerts",
        sa.Column("alert_id", sa.String(64), primary_key=True),
        sa.Column("pool", sa.String(100), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("agents_required", sa.Integer(), nullable=False),
        sa.Column("agents_available", sa.Integer(), nullable=False),
        sa.Column("expected_service_level", sa.Float(), nullable=False),
        sa.Column("target_share", sa.Float(), nullable=False),
        sa.Column("target_answer_seconds", sa.Float(), nullable=False),
        sa.Column("arrivals", sa.Integer(), nullable=False),
        sa.Column("load_erlangs", sa.Float(), nullable=False),
        sa.Column("interval_start", UTCDateTime(), nullable=False),
        sa.Column("interval_seconds", sa.Float(), nullable=False),
        sa.Column("assessed_at", UTCDateTime(), nullable=False),
        sa.Column("shortfall_event_id", sa.String(128), nullable=False),
        sa.Column("raised_at", UTCDateTime(), nullable=False),
        sa.Column("acknowledged_by", sa.String(128), nullable=True),
        sa.Column("acknowledged_at", UTCDateTime(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
    )
    op.create_index(
        "ix_esc_staffing_alerts_pool_status", "esc_staffing_alerts", ["pool", "status"]
    )
    op.create_index(
        "ix_esc_staffing_alerts_region_status", "esc_staffing_alerts", ["region", "status"]
    )


def downgrade() -> None:
    op.drop_table("esc_staffing_alerts")
