"""Alembic wiring: servicekit's own branch plus each service's branch, run in code.

``await migrate(database_url, versions_dir=..., metadata=...)`` has ``alembic upgrade
heads`` semantics, no alembic.ini needed; a service's ``migrate`` command runs it before the
service is served, which checks with ``require_current`` that it was.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, text

from switchboard.servicekit.db import create_engine
from switchboard.servicekit.tables import kit_metadata

HERE = Path(__file__).parent
MIGRATION_LOCK = 0x5357_4D49  # any constant; one per database is what matters


def alembic_config(versions_dir: Path, metadata: MetaData) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.set_main_option(
        "version_locations", os.pathsep.join([str(HERE / "versions"), str(versions_dir)])
    )
    cfg.attributes["target_metadata"] = [kit_metadata, metadata]
    return cfg


async def migrate(database_url: str, *, versions_dir: Path, metadata: MetaData) -> None:
    """Bring the database to the newest revision of servicekit's and the service's branch."""
    cfg = alembic_config(versions_dir, metadata)
    engine = create_engine(database_url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                # Replicas starting together on an empty database take turns; the second
                # finds the first one's revisions committed and has nothing left to do.
                await conn.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK}
                )
            await conn.run_sync(_upgrade, cfg)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, cfg: Config) -> None:
    cfg.attributes["connection"] = connection
    command.upgrade(cfg, "heads")


class SchemaBehind(RuntimeError):
    """The database is not at the newest revision the code knows: run ``migrate`` first."""


async def require_current(database_url: str, *, versions_dir: Path, metadata: MetaData) -> None:
    """Raise ``SchemaBehind`` unless the database is at every branch's newest revision (a
    service serves only on the schema it was written for; migrating is its own step)."""
    cfg = alembic_config(versions_dir, metadata)
    script = ScriptDirectory.from_config(cfg)
    expected = set(script.get_heads())
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            current = await conn.run_sync(_current_heads)
    finally:
        await engine.dispose()
    # A head another revision depends on (``depends_on``, across branches) is not recorded
    # once that revision is: it counts as applied when it is below a recorded one.
    try:
        below = script.iterate_revisions(current, "base") if current else ()
        applied = {revision.revision for revision in below}
    except CommandError as error:  # a revision this code does not know: a newer schema
        raise SchemaBehind(f"the database schema is not this version's: {error}") from error
    if not expected <= applied:
        missing = ", ".join(sorted(expected - applied)) or "none"
        raise SchemaBehind(
            f"the database schema is not current (missing revisions: {missing}); "
            "run the service's `migrate` command first"
        )


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return tuple(MigrationContext.configure(connection).get_current_heads())
