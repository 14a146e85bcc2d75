"""write-only columns dropped: a case's language, opened_at and updated_at, an escalation's
updated_at (written on every change, read by nothing: the API shows raised_at and the
acknowledgement fields, the clocks carry their own times)

Revision ID: es0002
Revises: es0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0002"
down_revision = "es0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("esc_cases") as table:
        table.drop_column("language")
        table.drop_column("opened_at")
        table.drop_column("updated_at")
    with op.batch_alter_table("esc_escalations") as table:
        table.drop_column("updated_at")


def downgrade() -> None:
    # The dropped values are gone: the columns come back empty, hence nullable.
    with op.batch_alter_table("esc_escalations") as table:
        table.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("esc_cases") as table:
        table.add_column(sa.Column("language", sa.String(length=35), nullable=True))
        table.add_column(sa.Column("opened_at", UTCDateTime(), nullable=True))
        table.add_column(sa.Column("updated_at", UTCDateTime(), nullable=True))
