"""KPI roll-ups gain hour buckets: ``hour`` joins the key (0 for days, weeks and months)

Revision ID: fb0002
Revises: fb0001
Create Date: 2026-12-02

An hour bucket is keyed by its local day (``bucket``) and the whole hours since that
day's local midnight. Rows already stored are day, week and month buckets: hour 0.
"""

import sqlalchemy as sa
from alembic import op

revision = "fb0002"
down_revision = "fb0001"
branch_labels = None
depends_on = None

OLD_KEY = ["period", "region", "facet", "facet_value", "bucket"]


def upgrade() -> None:
    with op.batch_alter_table("fb_kpi_rollups") as table:
        table.add_column(sa.Column("hour", sa.SmallInteger(), server_default="0", nullable=False))
        table.drop_constraint("pk_fb_kpi_rollups", type_="primary")
        table.create_primary_key("pk_fb_kpi_rollups", [*OLD_KEY, "hour"])


def downgrade() -> None:
    op.execute("DELETE FROM fb_kpi_rollups WHERE period = 'hour'")
    with op.batch_alter_table("fb_kpi_rollups") as table:
        table.drop_constraint("pk_fb_kpi_rollups", type_="primary")
        table.create_primary_key("pk_fb_kpi_rollups", OLD_KEY)
        table.drop_column("hour")
