"""columns nothing reads dropped: agents' and cases' version, agents' missed offers, and
last agents' active flag (always true)

Revision ID: ro0003
Revises: ro0002
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "ro0003"
down_revision = "ro0002"
branch_labels = None
depends_on = None

DROPPED = {
    "routing_agents": ("version", "missed_offers"),
    "routing_cases": ("version",),
    "routing_last_agents": ("active",),
}


def upgrade() -> None:
    for table, columns in DROPPED.items():
        with op.batch_alter_table(table) as batch:  # SQLite rebuilds the table
            for column in columns:
                batch.drop_column(column)


def downgrade() -> None:
    with op.batch_alter_table("routing_last_agents") as batch:
        batch.add_column(sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()))
    for table in ("routing_cases", "routing_agents"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("routing_agents") as batch:
        batch.add_column(
            sa.Column("missed_offers", sa.Integer(), nullable=False, server_default="0")
        )
