"""A reply intake could not deliver is stored as the contract names it:
esc_escalations.trigger ``delivery_failed`` → ``reply_delivery_failed`` (the API showed one
name, the events another), and so is it in the stored configuration's escalation policies'
``triggers`` (esc_config.document)

Revision ID: es0004
Revises: es0003
Create Date: 2026-12-07
"""

import json
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "es0004"
down_revision = "es0003"
branch_labels = None
depends_on = None


OLD, NEW = "delivery_failed", "reply_delivery_failed"


def upgrade() -> None:
    op.execute(f"UPDATE esc_escalations SET trigger = '{NEW}' WHERE trigger = '{OLD}'")
    _rename_in_config(OLD, NEW)


def downgrade() -> None:
    op.execute(f"UPDATE esc_escalations SET trigger = '{OLD}' WHERE trigger = '{NEW}'")
    _rename_in_config(NEW, OLD)


def _rename_in_config(old: str, new: str) -> None:
    connection = op.get_bind()
    config = sa.table("esc_config", sa.column("id"), sa.column("document", sa.JSON()))
    for row in connection.execute(sa.select(config.c.id, config.c.document)).all():
        document = row.document if isinstance(row.document, dict) else json.loads(row.document)
        if _renamed(document, old, new):
            connection.execute(
                config.update().where(config.c.id == row.id).values(document=document)
            )


def _renamed(document: dict[str, Any], old: str, new: str) -> bool:
    changed = False
    for policy in document.get("escalation_policies") or []:
        triggers = policy.get("triggers")
        if isinstance(triggers, list) and old in triggers:
            policy["triggers"] = [new if each == old else each for each in triggers]
            changed = True
    return changed
