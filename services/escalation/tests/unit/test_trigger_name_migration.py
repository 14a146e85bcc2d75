"""es0004 on SQLite: escalations raised for an undelivered reply under escalation's old
name are stored as the contract names them, and it goes down and up again."""

from __future__ import annotations

import json

from alembic import command
from sqlalchemy import text

from switchboard.escalation.adapters.orm import Base
from switchboard.escalation.domain.configuration import EscalationPolicyDocument
from switchboard.escalation.migrations import VERSIONS_DIR
from switchboard.servicekit.db import create_engine
from switchboard.servicekit.migrations import alembic_config

OLD_ROW = text(
    "INSERT INTO esc_escalations (escalation_id, case_id, region, trigger, policy, status,"
    " level_index, cycle, priority, raised_by, raised_at)"
    " VALUES (:id, 'c1', 'nordics', :trigger, 'default', 'open', 0, 0, 3, 'system:intake',"
    " '2026-12-01 10:00:00')"
)
TRIGGERS = text("SELECT escalation_id, trigger FROM esc_escalations ORDER BY escalation_id")
CONFIG = text(
    "INSERT INTO esc_config (id, version, document, updated_at, updated_by)"
    " VALUES (1, 3, :document, '2026-12-01 10:00:00', 'admin:ops')"
)
POLICIES = text("SELECT document FROM esc_config WHERE id = 1")
STORED = {
    "escalation_policies": [
        {"name": "default", "triggers": ["sla_breach", "delivery_failed"], "levels": []},
        {"name": "vip", "triggers": ["vip_waiting"], "levels": []},
    ]
}


def triggers_of(document) -> list[list[str]]:
    found = document if isinstance(document, dict) else json.loads(document)
    return [policy["triggers"] for policy in found["escalation_policies"]]


def _to(connection, revision: str, *, down: bool = False) -> None:
    cfg = alembic_config(VERSIONS_DIR, Base.metadata)
    cfg.attributes["connection"] = connection
    (command.downgrade if down else command.upgrade)(cfg, revision)


async def test_an_undelivered_reply_s_escalations_take_the_contract_s_name(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}")
    try:
        async with engine.begin() as conn:
            await conn.run_sync(_to, "es0003")
            await conn.execute(OLD_ROW, {"id": "e1", "trigger": "delivery_failed"})
            await conn.execute(OLD_ROW, {"id": "e2", "trigger": "sla_breach"})
            await conn.execute(CONFIG, {"document": json.dumps(STORED)})
            await conn.run_sync(_to, "es0004")
            renamed = [tuple(row) for row in await conn.execute(TRIGGERS)]
            policies = triggers_of((await conn.execute(POLICIES)).scalar_one())
            await conn.run_sync(_to, "es0003", down=True)
            restored = [tuple(row) for row in await conn.execute(TRIGGERS)]
            policies_restored = triggers_of((await conn.execute(POLICIES)).scalar_one())
            await conn.run_sync(_to, "heads")
    finally:
        await engine.dispose()
    assert renamed == [("e1", "reply_delivery_failed"), ("e2", "sla_breach")]
    assert restored == [("e1", "delivery_failed"), ("e2", "sla_breach")]
    assert policies == [["sla_breach", "reply_delivery_failed"], ["vip_waiting"]]
    assert policies_restored == [["sla_breach", "delivery_failed"], ["vip_waiting"]]


def test_a_configuration_with_the_trigger_s_earlier_name_still_reads():
    document = EscalationPolicyDocument.model_validate(
        {
            "name": "default",
            "levels": [{"name": "lead", "targets": ["nora"], "acknowledge_within": "PT10M"}],
            "triggers": ["delivery_failed", "sla_breach"],
        }
    )
    assert [t.value for t in document.triggers] == ["reply_delivery_failed", "sla_breach"]
