"""Customer erasures (GDPR art. 17) and each service's confirmation
(intake_customer_erasures); each customer's data key, under which the personal fields of
intake's events are sealed (intake_customer_keys)

Revision ID: in0013
Revises: in0012
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0013"
down_revision = "in0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_customer_erasures",
        sa.Column("erasure_id", sa.String(length=64), primary_key=True),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("requested_at", UTCDateTime(), nullable=False),
        sa.Column("requested_by", sa.String(length=256), nullable=False),
        sa.Column("confirmations", sa.JSON(), nullable=False),
        sa.UniqueConstraint("customer_id", name="uq_intake_customer_erasures_customer_id"),
    )
    op.create_table(
        "intake_customer_keys",
        sa.Column("customer_id", sa.String(length=64), primary_key=True),
        sa.Column("key", sa.LargeBinary(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("intake_customer_keys")
    op.drop_table("intake_customer_erasures")
