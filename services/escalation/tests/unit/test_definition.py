"""Escalation as servicekit sees it: the topics it reads and writes, its schema (the ORM and
the migrations agree), its command line."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from switchboard.contracts.topics import (
    ASSIGNMENTS,
    CASES,
    ESCALATIONS,
    FEEDBACK_ALERTS,
    PROBLEMS,
    SLA,
    STAFFING,
)
from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.entrypoints.cli import cli
from switchboard.servicekit.testing.schema import migration_drift

EXAMPLE = Path(__file__).parents[2] / "config" / "escalation.example.yaml"


def test_escalation_reads_cases_assignments_alerts_staffing_writes_sla_escalations_problems():
    assert set(DEFINITION.reads) == {CASES, ASSIGNMENTS, FEEDBACK_ALERTS, STAFFING}
    assert set(DEFINITION.writes) == {SLA, ESCALATIONS, PROBLEMS}
    assert {topic.writer for topic in DEFINITION.writes} == {DEFINITION.name}


def test_the_migrations_build_exactly_the_tables_of_the_orm(tmp_path):
    schema = DEFINITION.migrations
    drift = migration_drift(tmp_path, versions_dir=schema.versions_dir, metadata=schema.metadata)
    assert drift == []


def test_check_config_validates_a_file_without_starting_anything(tmp_path):
    result = CliRunner().invoke(cli, ["check-config", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("ok: 4 SLA policies, 1 escalation policies, 4 calendars")
    broken = tmp_path / "broken.yaml"
    broken.write_text("sla_policies: [{name: a, targets: {first_response: soon}}]")
    assert CliRunner().invoke(cli, ["check-config", str(broken)]).exit_code != 0


def test_a_migrated_database_counts_as_current_across_the_branches(tmp_path):
    """es0003 depends on servicekit's sk0003 (it moves data into its tables): alembic then
    records only es0003, and sk0003 must still count as applied."""
    import asyncio

    from switchboard.escalation.bootstrap import DEFINITION
    from switchboard.servicekit.migrations import migrate, require_current

    url = f"sqlite+aiosqlite:///{tmp_path / 'escalation.db'}"
    schema = DEFINITION.migrations
    asyncio.run(migrate(url, versions_dir=schema.versions_dir, metadata=schema.metadata))
    asyncio.run(require_current(url, versions_dir=schema.versions_dir, metadata=schema.metadata))
