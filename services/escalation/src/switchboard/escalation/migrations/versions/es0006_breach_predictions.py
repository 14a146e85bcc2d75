"""breach predictions: routing's last wait forecast and offer of each case, and when each
clock was predicted to breach and when that cleared

Revision ID: es0006
Revises: es0005
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0006"
down_revision = "es0005"
branch_labels = None
depends_on = None

CASE_COLUMNS = (
    ("offered_at", UTCDateTime()),
    ("queue_position", sa.Integer()),
    ("served_per_minute", sa.Float()),
    ("expected_offer_at", UTCDateTime()),
    ("wait_estimated_at", UTCDateTime()),
)
CLOCK_COLUMNS = (("at_risk_at", UTCDateTime()), ("risk_cleared_at", UTCDateTime()))


def upgrade() -> None:
    with op.batch_alter_table("esc_cases") as table:
        for name, kind in CASE_COLUMNS:
            table.add_column(sa.Column(name, kind, nullable=True))
    with op.batch_alter_table("esc_sla_clocks") as table:
        for name, kind in CLOCK_COLUMNS:
            table.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("esc_sla_clocks") as table:
        for name, _ in reversed(CLOCK_COLUMNS):
            table.drop_column(name)
    with op.batch_alter_table("esc_cases") as table:
        for name, _ in reversed(CASE_COLUMNS):
            table.drop_column(name)
