"""Customers' consents: an append-only history of changes per purpose
(intake_customer_consents)

Revision ID: in0009
Revises: in0008
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0009"
down_revision = "in0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_customer_consents",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=256), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000)),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["intake_customers.id"],
            name="fk_intake_customer_consents_customer_id_intake_customers",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_customer_consents"),
    )
    op.create_index(
        "ix_intake_customer_consents_customer_id_purpose_at",
        "intake_customer_consents",
        ["customer_id", "purpose", "at"],
    )


def downgrade() -> None:
    op.drop_index(
        "ix_intake_customer_consents_customer_id_purpose_at",
        table_name="intake_customer_consents",
    )
    op.drop_table("intake_customer_consents")
