"""Provider credentials rotate with a grace period: the replaced credential, sealed, and
when it stops being good for the provider's webhooks
(intake_adapters.previous_provider_credential, .previous_provider_credential_expires_at)

Revision ID: in0012
Revises: in0011
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0012"
down_revision = "in0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        table.add_column(sa.Column("previous_provider_credential", sa.Text()))
        table.add_column(sa.Column("previous_provider_credential_expires_at", UTCDateTime()))


def downgrade() -> None:
    with op.batch_alter_table("intake_adapters") as table:
        table.drop_column("previous_provider_credential_expires_at")
        table.drop_column("previous_provider_credential")
