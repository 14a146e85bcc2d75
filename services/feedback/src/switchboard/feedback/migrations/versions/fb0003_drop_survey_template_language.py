"""Surveys lose ``template_language``: written with every survey, read by nothing (the
template follows from the survey's ``language`` whenever it is shown)

Revision ID: fb0003
Revises: fb0002
Create Date: 2027-01-12

Going down puts the column back as English for every survey: nothing read it, and the
code of fb0002 only writes it.
"""

import sqlalchemy as sa
from alembic import op

revision = "fb0003"
down_revision = "fb0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("fb_surveys") as table:
        table.drop_column("template_language")


def downgrade() -> None:
    with op.batch_alter_table("fb_surveys") as table:
        table.add_column(
            sa.Column(
                "template_language", sa.String(length=8), server_default="en", nullable=False
            )
        )
