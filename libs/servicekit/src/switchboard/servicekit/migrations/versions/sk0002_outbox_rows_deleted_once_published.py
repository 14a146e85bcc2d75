"""outbox rows are deleted once Kafka has them

Revision ID: sk0002
Revises: sk0001
Create Date: 2026-11-30

Marking a row published wrote a new version of it (payload included) and three index
entries; deleting it writes almost nothing. Published rows kept for an hour served nobody:
the events themselves are on Kafka. Rows already published are removed here.
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db.types import UTCDateTime

revision = "sk0002"
down_revision = "sk0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM sk_outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_sk_outbox_published_at", table_name="sk_outbox")
    op.drop_index("ix_sk_outbox_pending", table_name="sk_outbox")
    with op.batch_alter_table("sk_outbox") as table:
        table.drop_column("published_at")


def downgrade() -> None:
    with op.batch_alter_table("sk_outbox") as table:
        table.add_column(sa.Column("published_at", UTCDateTime, nullable=True))
    pending = sa.text("published_at IS NULL")
    op.create_index(
        "ix_sk_outbox_pending", "sk_outbox", ["id"],
        postgresql_where=pending, sqlite_where=pending,
    )
    op.create_index("ix_sk_outbox_published_at", "sk_outbox", ["published_at"])
