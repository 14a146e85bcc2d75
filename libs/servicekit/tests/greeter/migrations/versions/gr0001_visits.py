"""visits

Revision ID: gr0001
Revises:
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "gr0001"
down_revision = None
branch_labels = ("greeter",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "visits",
        sa.Column("visitor", sa.String(100), primary_key=True),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("visits", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("visits")
