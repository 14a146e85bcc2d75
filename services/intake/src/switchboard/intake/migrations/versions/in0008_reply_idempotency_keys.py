"""Replies keep the Idempotency-Key they were posted with and a digest of the request
(intake_replies.idempotency_key, request_digest), unique per case and agent

Revision ID: in0008
Revises: in0007
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "in0008"
down_revision = "in0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_replies") as table:
        table.add_column(sa.Column("idempotency_key", sa.String(length=200)))
        table.add_column(sa.Column("request_digest", sa.String(length=64)))
        table.create_unique_constraint(
            "uq_intake_replies_case_id_agent_id_idempotency_key",
            ["case_id", "agent_id", "idempotency_key"],
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_replies") as table:
        table.drop_constraint("uq_intake_replies_case_id_agent_id_idempotency_key", type_="unique")
        table.drop_column("request_digest")
        table.drop_column("idempotency_key")
