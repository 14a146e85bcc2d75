"""A reply intake could not deliver is stored as the contract names it:
esc_escalations.trigger ``delivery_failed`` → ``reply_delivery_failed`` (the API showed one
name, the events another)

Revision ID: es0004
Revises: es0003
Create Date: 2026-12-07
"""

from alembic import op

revision = "es0004"
down_revision = "es0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE esc_escalations SET trigger = 'reply_delivery_failed'"
        " WHERE trigger = 'delivery_failed'"
    )


def downgrade() -> None:
    op.execute(
        "UPDATE esc_escalations SET trigger = 'delivery_failed'"
        " WHERE trigger = 'reply_delivery_failed'"
    )
