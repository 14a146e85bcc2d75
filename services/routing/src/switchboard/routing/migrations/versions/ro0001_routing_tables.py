"""routing tables: agents, cases, offers, revision counter, policy document, last agents

Revision ID: ro0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "ro0001"
down_revision = None
branch_labels = ("routing",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "routing_agents",
        sa.Column("id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("team", sa.String(64)),
        sa.Column("pools", sa.JSON(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("capacity", sa.JSON(), nullable=False),
        sa.Column("load", sa.JSON(), nullable=False),
        sa.Column("presence", sa.String(16), nullable=False),
        sa.Column("idle_since", UTCDateTime(), nullable=False),
        sa.Column("missed_offers", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routing_agents"),
    )
    op.create_index("ix_routing_agents_revision", "routing_agents", ["revision"])
    op.create_table(
        "routing_cases",
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("pool", sa.String(100), nullable=False),
        sa.Column("policy", sa.String(128), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("step_started_at", UTCDateTime(), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("enqueued_at", UTCDateTime(), nullable=False),
        sa.Column("preferred_agent", sa.String(128)),
        sa.Column("preferred_until", UTCDateTime()),
        sa.Column("excluded_agents", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agent_id", sa.String(128)),
        sa.Column("offer_id", sa.String(64)),
        sa.Column("explanation", sa.JSON()),
        sa.Column("assigned_at", UTCDateTime()),
        sa.Column("first_response_at", UTCDateTime()),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("transfers", sa.Integer(), nullable=False),
        sa.Column("reopens", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name="pk_routing_cases"),
    )
    op.create_index("ix_routing_cases_revision", "routing_cases", ["revision"])
    op.create_index("ix_routing_cases_state", "routing_cases", ["state"])
    op.create_index("ix_routing_cases_agent_id", "routing_cases", ["agent_id"])
    op.create_table(
        "routing_offers",
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("case_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("offered_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answered_at", UTCDateTime()),
        sa.Column("replica", sa.String(64), nullable=False),
        sa.Column("explanation", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("offer_id", name="pk_routing_offers"),
    )
    op.create_index("ix_routing_offers_case_id", "routing_offers", ["case_id"])
    op.create_index("ix_routing_offers_agent_id", "routing_offers", ["agent_id"])
    op.create_table(
        "routing_revision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routing_revision"),
    )
    op.execute("INSERT INTO routing_revision (id, value) VALUES (1, 0)")
    op.create_table(
        "routing_policy_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_routing_policy_documents"),
    )
    op.create_table(
        "routing_last_agents",
        sa.Column("customer_id", sa.String(128), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("resolved_at", UTCDateTime(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name="pk_routing_last_agents"),
    )


def downgrade() -> None:
    for table in (
        "routing_last_agents",
        "routing_policy_documents",
        "routing_revision",
        "routing_offers",
        "routing_cases",
        "routing_agents",
    ):
        op.drop_table(table)
