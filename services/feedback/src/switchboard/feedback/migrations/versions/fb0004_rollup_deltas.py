"""Roll-up deltas: counters written by answers and case events, folded into the roll-ups
in batches (writers no longer wait on each other's commits over the shared busy buckets)

Revision ID: fb0004
Revises: fb0003
Create Date: 2026-12-06

Going down folds nothing: run the folder until the table is empty first, or the counters
still in it are lost.
"""

import sqlalchemy as sa
from alembic import op


revision = "fb0004"
down_revision = "fb0003"
branch_labels = None
depends_on = None

COUNTERS = (
    "surveys_requested",
    "surveys_answered",
    "csat_answers",
    "csat_satisfied",
    "nps_answers",
    "nps_promoters",
    "nps_detractors",
    "ces_answers",
    "ces_sum",
    "first_responses",
    "first_response_ms_sum",
    "resolutions",
    "resolution_ms_sum",
    "first_contact_resolutions",
    "sla_achieved",
    "sla_breached",
    "cases_opened",
    "cases_reopened",
)


def upgrade() -> None:
    op.create_table(
        "fb_kpi_rollup_deltas",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("period", sa.String(length=8), nullable=False),
        sa.Column("region", sa.String(length=32), nullable=False),
        sa.Column("facet", sa.String(length=8), nullable=False),
        sa.Column("facet_value", sa.String(length=128), nullable=False),
        sa.Column("bucket", sa.Date(), nullable=False),
        sa.Column("hour", sa.SmallInteger(), server_default="0", nullable=False),
        *(
            sa.Column(name, sa.BigInteger(), server_default="0", nullable=False)
            for name in COUNTERS
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fb_kpi_rollup_deltas")),
    )
    # Reads find a slice's deltas by index: the table churns (inserted, folded, deleted),
    # and a scan would walk its dead rows until vacuum.
    op.create_index(
        "ix_fb_kpi_rollup_deltas_slice",
        "fb_kpi_rollup_deltas",
        ["period", "region", "facet", "facet_value", "bucket"],
    )


def downgrade() -> None:
    op.drop_index("ix_fb_kpi_rollup_deltas_slice", table_name="fb_kpi_rollup_deltas")
    op.drop_table("fb_kpi_rollup_deltas")
