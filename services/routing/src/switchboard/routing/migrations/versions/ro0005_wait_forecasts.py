"""wait forecasts: the offer time last said of each waiting case, and the index that
counts a pool's accepted offers of the recent window

Revision ID: ro0005
Revises: ro0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "ro0005"
down_revision = "ro0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_wait_forecasts",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("expected_offer_at", UTCDateTime(), nullable=True),
        sa.Column("said_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_routing_wait_forecasts"),
    )
    op.create_index("ix_routing_offers_answered_at", "routing_offers", ["answered_at"])


def downgrade() -> None:
    op.drop_index("ix_routing_offers_answered_at", "routing_offers")
    op.drop_table("routing_wait_forecasts")
