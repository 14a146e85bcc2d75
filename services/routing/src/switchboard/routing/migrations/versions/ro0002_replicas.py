"""routing replicas: heartbeats that decide which replica indexes which pool

Revision ID: ro0002
Revises: ro0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "ro0002"
down_revision = "ro0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_replicas",
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("heartbeat_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_routing_replicas"),
    )


def downgrade() -> None:
    op.drop_table("routing_replicas")
