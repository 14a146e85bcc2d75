"""The command line and the alembic branch, on an embedded SQLite file (no server needed)."""

import json
import logging

import pytest
from typer.testing import CliRunner

from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.entrypoints.cli import cli
from switchboard.servicekit.auth import Role, TokenVerifier
from switchboard.servicekit.testing.schema import migration_drift


def test_sqlite_migrations_match_the_orm(tmp_path):
    schema = DEFINITION.migrations
    drift = migration_drift(tmp_path, versions_dir=schema.versions_dir, metadata=schema.metadata)
    assert drift == []


@pytest.fixture
def database(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_INTAKE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/i.db")
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    # `migrate` set up the process's logs, on the runner's stream that is closed by now
    root.handlers[:], root.level = handlers, level


def test_adapter_commands_refuse_a_schema_migrate_did_not_bring_up_to_date(database):
    runner = CliRunner()
    for command in (["adapters", "create", "web-chat", "chat"], ["adapters", "list"]):
        refused = runner.invoke(cli, command)
        assert refused.exit_code == 1, refused.output
        assert "switchboard-intake migrate" in refused.stderr
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    assert runner.invoke(cli, ["adapters", "list"]).exit_code == 0


def test_adapters_are_created_rotated_and_listed_from_the_shell(database):
    runner = CliRunner()
    migrated = runner.invoke(cli, ["migrate"])
    assert migrated.exit_code == 0, migrated.output
    created = runner.invoke(cli, ["adapters", "create", "web-chat", "chat", "--region", "nordics"])
    assert created.exit_code == 0, created.output
    first = json.loads(created.stdout)
    assert first["secret"].startswith("whsec_")

    rotated = runner.invoke(cli, ["adapters", "rotate", "web-chat"])
    assert rotated.exit_code == 0, rotated.output
    second = json.loads(rotated.stdout)
    assert second["secret"] != first["secret"]
    assert second["previous_secret_expires_at"] is not None

    listed = runner.invoke(cli, ["adapters", "list"])
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(row["id"], row["channel"], row["region"]) for row in rows] == [
        ("web-chat", "chat", "nordics")
    ]
    assert "secret" not in rows[0]

    duplicate = runner.invoke(cli, ["adapters", "create", "web-chat", "chat"])
    assert duplicate.exit_code != 0

    sealed = runner.invoke(cli, ["adapters", "seal"])
    assert sealed.exit_code == 0, sealed.output
    assert json.loads(sealed.stdout) == {"resealed": 0}


def test_admin_token_is_an_admin_principal_for_the_configured_secret(monkeypatch):
    secret = "a-long-enough-test-secret-value-0123"
    monkeypatch.setenv("SWITCHBOARD_INTAKE_JWT_SECRET", secret)
    result = CliRunner().invoke(cli, ["admin-token", "--subject", "ops", "--ttl", "60"])
    assert result.exit_code == 0, result.output
    caller = TokenVerifier(secret, "switchboard").principal(result.output.strip())
    assert (caller.subject, caller.role) == ("ops", Role.ADMIN)


def test_the_service_commands_are_servicekit_s_plus_intake_s_own():
    names = {c.name or c.callback.__name__ for c in cli.registered_commands}
    groups = {group.name for group in cli.registered_groups}
    assert {"serve", "worker", "migrate", "token", "admin-token"} <= names
    assert groups == {"adapters"}
