"""intake tables: adapters, customers, identities, cases, contacts

Revision ID: in0001
Revises:
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

from switchboard.servicekit.db import UTCDateTime

revision = "in0001"
down_revision = None
branch_labels = ("intake",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "intake_adapters",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("region", sa.String(32)),
        sa.Column("default_country", sa.String(2)),
        sa.Column("department", sa.String(64)),
        sa.Column("current_secret", sa.String(128), nullable=False),
        sa.Column("previous_secret", sa.String(128)),
        sa.Column("previous_secret_expires_at", UTCDateTime()),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("rotated_at", UTCDateTime()),
        sa.PrimaryKeyConstraint("id", name="pk_intake_adapters"),
    )
    op.create_table(
        "intake_customers",
        sa.Column("id", sa.String(64)),
        sa.Column("display_name", sa.String(200)),
        sa.Column("region", sa.String(32)),
        sa.Column("tier", sa.String(64)),
        sa.Column("vip", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_customers"),
    )
    op.create_table(
        "intake_identities",
        sa.Column("key", sa.String(600)),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_intake_identities"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["intake_customers.id"],
            name="fk_intake_identities_customer_id_intake_customers",
        ),
    )
    op.create_index("ix_intake_identities_customer_id", "intake_identities", ["customer_id"])
    op.create_table(
        "intake_cases",
        sa.Column("id", sa.String(64)),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("region", sa.String(32), nullable=False),
        sa.Column("department", sa.String(64)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("subject", sa.String(200)),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.Column("last_activity_at", UTCDateTime(), nullable=False),
        sa.Column("resolved_at", UTCDateTime()),
        sa.Column("reopened_at", UTCDateTime()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_cases"),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["intake_customers.id"],
            name="fk_intake_cases_customer_id_intake_customers",
        ),
    )
    op.create_index(
        "ix_intake_cases_customer_id_channel_status",
        "intake_cases",
        ["customer_id", "channel", "status"],
    )
    op.create_table(
        "intake_contacts",
        sa.Column("id", sa.String(64)),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("customer_id", sa.String(64), nullable=False),
        sa.Column("adapter_id", sa.String(64), nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.Column("language", sa.String(35), nullable=False),
        sa.Column("language_confidence", sa.Float(), nullable=False),
        sa.Column("provider_message_id", sa.String(1100)),
        sa.Column("webhook_id", sa.String(256), nullable=False),
        sa.Column("thread_ref", sa.String(1100)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("request", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intake_contacts"),
        sa.ForeignKeyConstraint(
            ["case_id"], ["intake_cases.id"], name="fk_intake_contacts_case_id_intake_cases"
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["intake_customers.id"],
            name="fk_intake_contacts_customer_id_intake_customers",
        ),
        sa.ForeignKeyConstraint(
            ["adapter_id"], ["intake_adapters.id"],
            name="fk_intake_contacts_adapter_id_intake_adapters",
        ),
    )
    op.create_index("ix_intake_contacts_case_id", "intake_contacts", ["case_id"])
    op.create_index("ix_intake_contacts_thread_ref", "intake_contacts", ["thread_ref"])
    op.create_index(
        "ix_intake_contacts_adapter_id_webhook_id",
        "intake_contacts",
        ["adapter_id", "webhook_id"],
        unique=True,
    )
    op.create_index(
        "ix_intake_contacts_adapter_id_provider_message_id",
        "intake_contacts",
        ["adapter_id", "provider_message_id"],
        unique=True,
    )


def downgrade() -> None:
    for table in (
        "intake_contacts",
        "intake_cases",
        "intake_identities",
        "intake_customers",
        "intake_adapters",
    ):
        op.drop_table(table)
