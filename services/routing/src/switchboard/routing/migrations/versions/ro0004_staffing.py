"""staffing: what was last announced of each pool, and the indexes that count a pool's
arrivals and resolutions of the last interval

Revision ID: ro0004
Revises: ro0003
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "ro0004"
down_revision = "ro0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_staffing_announcements",
        sa.Column("pool", sa.String(100), nullable=False),
        sa.Column("standing", sa.String(16), nullable=False),
        sa.Column("interval_number", sa.BigInteger(), nullable=False),
        sa.Column("announced_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("pool", name="pk_routing_staffing_announcements"),
    )
    op.create_index("ix_routing_cases_opened_at", "routing_cases", ["opened_at"])
    op.create_index("ix_routing_cases_resolved_at", "routing_cases", ["resolved_at"])


def downgrade() -> None:
    op.drop_index("ix_routing_cases_resolved_at", "routing_cases")
    op.drop_index("ix_routing_cases_opened_at", "routing_cases")
    op.drop_table("routing_staffing_announcements")
