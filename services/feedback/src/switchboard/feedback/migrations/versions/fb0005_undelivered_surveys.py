"""Undelivered surveys: a survey intake could not deliver or withheld
(fb_surveys.undelivered_at, .undelivered_reason) and its counter in the roll-ups and their
deltas (surveys_undelivered), so the response rate is over delivered invitations

Revision ID: fb0005
Revises: fb0004
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "fb0005"
down_revision = "fb0004"
branch_labels = None
depends_on = None

COUNTER_TABLES = ("fb_kpi_rollups", "fb_kpi_rollup_deltas")


def upgrade() -> None:
    with op.batch_alter_table("fb_surveys") as table:
        table.add_column(sa.Column("undelivered_at", UTCDateTime()))
        table.add_column(sa.Column("undelivered_reason", sa.Text()))
    for name in COUNTER_TABLES:
        with op.batch_alter_table(name) as table:
            table.add_column(
                sa.Column("surveys_undelivered", sa.BigInteger(), server_default="0", nullable=False)
            )


def downgrade() -> None:
    for name in COUNTER_TABLES:
        with op.batch_alter_table(name) as table:
            table.drop_column("surveys_undelivered")
    with op.batch_alter_table("fb_surveys") as table:
        table.drop_column("undelivered_reason")
        table.drop_column("undelivered_at")
