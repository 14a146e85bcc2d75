"""Replies: outbound messages (agents' replies, survey requests) (intake_replies) and the adapters' outbound address
(intake_adapters.outbound_url)

Revision ID: in0006
Revises: in0005
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0006"
down_revision = "in0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("intake_adapters", sa.Column("outbound_url", sa.String(length=2048)))
    op.create_table(
        "intake_replies",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.String(length=128), nullable=False),
        sa.Column("adapter_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("posted_at", UTCDateTime(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("subject", sa.String(length=998), nullable=True),
        sa.Column("html", sa.Text(), nullable=True),
        sa.Column("attachments", sa.JSON(), nullable=False),
        sa.Column("thread_ref", sa.String(length=1100), nullable=True),
        sa.Column("delivery", sa.String(length=16), nullable=False),
        sa.Column("delivery_changed_at", UTCDateTime(), nullable=False),
        sa.Column("delivery_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["intake_cases.id"], name="fk_intake_replies_case_id_intake_cases"
        ),
        sa.ForeignKeyConstraint(
            ["adapter_id"],
            ["intake_adapters.id"],
            name="fk_intake_replies_adapter_id_intake_adapters",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_intake_replies"),
    )
    op.create_index(
        "ix_intake_replies_case_id_posted_at", "intake_replies", ["case_id", "posted_at"]
    )
    op.create_index("ix_intake_replies_thread_ref", "intake_replies", ["thread_ref"])


def downgrade() -> None:
    op.drop_index("ix_intake_replies_thread_ref", table_name="intake_replies")
    op.drop_index("ix_intake_replies_case_id_posted_at", table_name="intake_replies")
    op.drop_table("intake_replies")
    op.drop_column("intake_adapters", "outbound_url")
