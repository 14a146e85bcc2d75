"""adapter secrets are stored sealed (Fernet tokens are longer than the secrets)

Revision ID: in0002
Revises: in0001
Create Date: 2026-11-30

Sealing the values already stored needs the operator's key, which migrations do not see:
intake seals them at start, right after migrating (``seal_stored_secrets``).
"""

import sqlalchemy as sa
from alembic import op

revision = "in0002"
down_revision = "in0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        for column, nullable in (("current_secret", False), ("previous_secret", True)):
            table.alter_column(
                column, type_=sa.String(512), existing_type=sa.String(128), existing_nullable=nullable
            )


def downgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        for column, nullable in (("current_secret", False), ("previous_secret", True)):
            table.alter_column(
                column, type_=sa.String(128), existing_type=sa.String(512), existing_nullable=nullable
            )
