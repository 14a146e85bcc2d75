import asyncio
from pathlib import Path

import asyncpg
import pytest

from switchboard.launcher import databases
from switchboard.launcher.databases import DatabaseKind, choose, server_urls, sqlite_urls
from switchboard.servicekit.devinfra import InfraError


def test_sqlite_gives_each_service_its_own_file(tmp_path: Path) -> None:
    urls = sqlite_urls(tmp_path, ["intake", "routing"])
    assert urls == {
        "intake": f"sqlite+aiosqlite:///{tmp_path}/sqlite/intake.db",
        "routing": f"sqlite+aiosqlite:///{tmp_path}/sqlite/routing.db",
    }
    assert (tmp_path / "sqlite").is_dir()


def test_auto_prefers_a_configured_server_then_binaries_then_sqlite(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert choose(DatabaseKind.AUTO, server_url="postgresql://x@127.0.0.1/db").kind == "postgres"
    assert choose(DatabaseKind.SQLITE, server_url="postgresql://x@127.0.0.1/db").kind == "sqlite"
    monkeypatch.setattr(databases, "postgres_binaries_installed", lambda: False)
    assert choose(DatabaseKind.AUTO, server_url=None).kind == "sqlite"
    with pytest.raises(InfraError, match="apt-get install"):
        choose(DatabaseKind.POSTGRES, server_url=None)
    monkeypatch.setattr(databases, "postgres_binaries_installed", lambda: True)
    assert choose(DatabaseKind.AUTO, server_url=None).kind == "postgres"


def test_a_server_url_that_is_not_postgresql_is_refused() -> None:
    with pytest.raises(ValueError, match="not a PostgreSQL URL"):
        server_urls("mysql://root@127.0.0.1/db", ["intake"])


@pytest.mark.integration
def test_databases_are_created_once_on_a_configured_server(postgres_server) -> None:
    server = postgres_server.create_database("launcher_probe").replace("+asyncpg", "")
    try:
        first = server_urls(server, ["intake", "feedback"])
        again = server_urls(server, ["intake", "feedback"])
        for url in first.values():  # they exist: a connection to each one opens
            asyncio.run(_connect_and_close(url.replace("+asyncpg", "")))
    finally:
        for name in ("switchboard_intake", "switchboard_feedback", "launcher_probe"):
            postgres_server.drop_database(name)
    assert first == again
    assert first["intake"].startswith("postgresql+asyncpg://")
    assert first["intake"].endswith("/switchboard_intake")


async def _connect_and_close(url: str) -> None:
    connection = await asyncpg.connect(url)
    await connection.close()
