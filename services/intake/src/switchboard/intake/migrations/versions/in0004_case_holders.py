"""intake_case_holders: who holds each case now (from routing's assignment events), for the
conversation's access rule

Revision ID: in0004
Revises: in0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0004"
down_revision = "in0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_case_holders",
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("agent_id", sa.String(length=64), nullable=True),
        sa.Column("since", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_intake_case_holders"),
    )


def downgrade() -> None:
    op.drop_table("intake_case_holders")
