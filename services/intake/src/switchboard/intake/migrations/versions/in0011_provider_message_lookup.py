"""Provider status reports: an outbound message found by the adapter and the provider's id
of it (index on intake_replies.adapter_id, provider_message_id); a provider's credential
kept as text of any length (several values sealed together, long access tokens)

Revision ID: in0011
Revises: in0010
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "in0011"
down_revision = "in0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_replies") as table:
        table.create_index(
            "ix_intake_replies_provider_message", ["adapter_id", "provider_message_id"]
        )
    with op.batch_alter_table("intake_adapters") as table:
        table.alter_column(
            "provider_credential", type_=sa.Text(), existing_type=sa.String(length=1024)
        )


def downgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        table.alter_column(
            "provider_credential", type_=sa.String(length=1024), existing_type=sa.Text()
        )
    with op.batch_alter_table("intake_replies") as table:
        table.drop_index("ix_intake_replies_provider_message")
