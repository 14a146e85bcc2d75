"""The command line and the alembic branch, on an embedded SQLite file (no server needed)."""

import json

from typer.testing import CliRunner

from switchboard.intake.adapters.orm import metadata
from switchboard.intake.entrypoints.cli import app
from switchboard.intake.migrations import VERSIONS_DIR
from switchboard.servicekit.auth import Role, TokenVerifier
from switchboard.servicekit.testing.schema import migration_drift


def test_sqlite_migrations_match_the_orm(tmp_path):
    assert migration_drift(tmp_path, versions_dir=VERSIONS_DIR, metadata=metadata) == []


def test_adapters_are_created_rotated_and_listed_from_the_shell(tmp_path, monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_INTAKE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/i.db")
    runner = CliRunner()
    created = runner.invoke(app, ["adapters", "create", "web-chat", "chat", "--region", "nordics"])
    assert created.exit_code == 0, created.output
    first = json.loads(created.output)
    assert first["secret"].startswith("whsec_")

    rotated = runner.invoke(app, ["adapters", "rotate", "web-chat"])
    assert rotated.exit_code == 0, rotated.output
    second = json.loads(rotated.output)
    assert second["secret"] != first["secret"]
    assert second["previous_secret_expires_at"] is not None

    listed = runner.invoke(app, ["adapters", "list"])
    rows = [json.loads(line) for line in listed.output.splitlines()]
    assert [(row["id"], row["channel"], row["region"]) for row in rows] == [
        ("web-chat", "chat", "nordics")
    ]
    assert "secret" not in rows[0]

    duplicate = runner.invoke(app, ["adapters", "create", "web-chat", "chat"])
    assert duplicate.exit_code != 0


def test_admin_token_is_an_admin_principal_for_the_configured_secret(monkeypatch):
    secret = "a-long-enough-test-secret-value-0123"
    monkeypatch.setenv("SWITCHBOARD_INTAKE_JWT_SECRET", secret)
    result = CliRunner().invoke(app, ["admin-token", "--subject", "ops", "--ttl", "60"])
    assert result.exit_code == 0, result.output
    caller = TokenVerifier(secret, "switchboard").principal(result.output.strip())
    assert (caller.subject, caller.role) == ("ops", Role.ADMIN)
