"""Customer merges (intake_customer_merges) and merge proposals (intake_merge_proposals)

Revision ID: in0007
Revises: in0006
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0007"
down_revision = "in0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_customer_merges",
        sa.Column("merged_id", sa.String(length=64), nullable=False),
        sa.Column("survivor_id", sa.String(length=64), nullable=False),
        sa.Column("merged_at", UTCDateTime(), nullable=False),
        sa.Column("merged_by", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["survivor_id"],
            ["intake_customers.id"],
            name="fk_intake_customer_merges_survivor_id_intake_customers",
        ),
        sa.PrimaryKeyConstraint("merged_id", name="pk_intake_customer_merges"),
    )
    op.create_index(
        "ix_intake_customer_merges_survivor_id", "intake_customer_merges", ["survivor_id"]
    )
    op.create_table(
        "intake_merge_proposals",
        sa.Column("first_id", sa.String(length=64), nullable=False),
        sa.Column("second_id", sa.String(length=64), nullable=False),
        sa.Column("contact_id", sa.String(length=64), nullable=False),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.PrimaryKeyConstraint("first_id", "second_id", name="pk_intake_merge_proposals"),
    )


def downgrade() -> None:
    op.drop_table("intake_merge_proposals")
    op.drop_index("ix_intake_customer_merges_survivor_id", table_name="intake_customer_merges")
    op.drop_table("intake_customer_merges")
