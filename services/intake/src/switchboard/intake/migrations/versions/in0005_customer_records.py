"""Customer records: how each case was resolved (intake_cases.resolution_code) and
coordinators' notes on a customer (intake_customer_notes)

Revision ID: in0005
Revises: in0004
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0005"
down_revision = "in0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_cases", sa.Column("resolution_code", sa.String(length=64)))
    op.create_table(
        "intake_customer_notes",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("author", sa.String(length=256), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["intake_customers.id"],
            name="fk_intake_customer_notes_customer_id_intake_customers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_customer_notes"),
    )
    op.create_index(
        "ix_intake_customer_notes_customer_id", "intake_customer_notes", ["customer_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_intake_customer_notes_customer_id", table_name="intake_customer_notes")
    op.drop_table("intake_customer_notes")
    op.drop_column("intake_cases", "resolution_code")
