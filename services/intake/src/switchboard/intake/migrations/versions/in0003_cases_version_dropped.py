"""intake_cases.version dropped: written on every change and read by nothing (each writer
locks the case row itself)

Revision ID: in0003
Revises: in0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "in0003"
down_revision = "in0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_column("intake_cases", "version")


def downgrade() -> None:
    op.add_column(
        "intake_cases",
        sa.Column("version", sa.Integer(), nullable=False, server_default="1"),
    )
