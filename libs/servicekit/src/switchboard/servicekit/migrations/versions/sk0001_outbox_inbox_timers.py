"""servicekit tables: outbox, inbox, timers

Revision ID: sk0001
Revises:
Create Date: 2026-11-24
"""

from alembic import op

from switchboard.servicekit.tables import inbox, outbox, timers

revision = "sk0001"
down_revision = None
branch_labels = ("servicekit",)
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    for table in (outbox, inbox, timers):
        table.create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for table in (timers, inbox, outbox):
        table.drop(bind)
