"""Provider adapters: the provider an adapter speaks and its sealed credential
(intake_adapters.provider, .provider_credential); the provider's id of an outbound message
(intake_replies.provider_message_id)

Revision ID: in0010
Revises: in0009
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = "in0010"
down_revision = "in0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        table.add_column(sa.Column("provider", sa.String(length=32)))
        table.add_column(sa.Column("provider_credential", sa.String(length=1024)))
    with op.batch_alter_table("intake_replies") as table:
        table.add_column(sa.Column("provider_message_id", sa.String(length=128)))


def downgrade() -> None:
    with op.batch_alter_table("intake_replies") as table:
        table.drop_column("provider_message_id")
    with op.batch_alter_table("intake_adapters") as table:
        table.drop_column("provider_credential")
        table.drop_column("provider")
