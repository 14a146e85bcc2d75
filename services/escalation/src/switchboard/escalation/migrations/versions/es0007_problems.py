"""problems across regions: esc_problem_contacts (the detector's window and baseline),
esc_problems (detected, acknowledged per region) and esc_problem_notes

Revision ID: es0007
Revises: es0006
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "es0007"
down_revision = "es0006"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "esc_problem_contacts",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("contact_id", sa.String(128), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("excerpt", sa.Text(), nullable=False),
        sa.Column("customer_id", sa.String(length=128), nullable=False),
        sa.Column("sealed", sa.Boolean(), nullable=False),
    )
    op.create_index("ix_esc_problem_contacts_at", "esc_problem_contacts", ["at"])
    op.create_index(
        "ux_esc_problem_contacts_contact", "esc_problem_contacts", ["contact_id"], unique=True
    )
    op.create_index(
        "ix_esc_problem_contacts_customer_id", "esc_problem_contacts", ["customer_id"]
    )
    op.create_table(
        "esc_problems",
        sa.Column("problem_id", sa.String(64), primary_key=True),
        sa.Column("terms", sa.JSON(), nullable=False),
        sa.Column("regions", sa.JSON(), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("acknowledgements", sa.JSON(), nullable=False),
        sa.Column("first_seen", UTCDateTime(), nullable=False),
        sa.Column("detected_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_esc_problems_detected_at", "esc_problems", ["detected_at"])
    op.create_table(
        "esc_problem_notes",
        sa.Column("note_id", sa.String(64), primary_key=True),
        sa.Column("problem_id", sa.String(64), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_at", UTCDateTime(), nullable=False),
    )
    op.create_index(
        "ix_esc_problem_notes_problem", "esc_problem_notes", ["problem_id", "added_at"]
    )


def downgrade() -> None:
    op.drop_table("esc_problem_notes")
    op.drop_table("esc_problems")
    op.drop_table("esc_problem_contacts")
