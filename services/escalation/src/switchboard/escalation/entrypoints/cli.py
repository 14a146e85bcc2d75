"""``switchboard-escalation``: run the service (migrations, then HTTP and background runners)."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import typer
import uvicorn

from switchboard.escalation.adapters.orm import metadata
from switchboard.escalation.bootstrap import bootstrap
from switchboard.escalation.config import load_config
from switchboard.escalation.entrypoints.consumer import run_background
from switchboard.escalation.migrations import VERSIONS_DIR
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.auth.cli import token_command
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.process import prepare_process

cli = typer.Typer(add_completion=False, no_args_is_help=False)


def _prepare(settings: EscalationSettings) -> None:
    """Logging and tracing first, then the database schema."""
    prepare_process(settings)
    _migrate(settings)


def _migrate(settings: EscalationSettings) -> None:
    asyncio.run(migrate(settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata))


@cli.command()
def serve() -> None:
    """Migrate the database, then serve HTTP with the background runners in-process."""
    settings = EscalationSettings.load()
    _prepare(settings)
    uvicorn.run(
        "switchboard.escalation.entrypoints.app:app_from_environment",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
    )


@cli.command()
def worker() -> None:
    """Migrate, then run only the background runners (no HTTP)."""
    settings = EscalationSettings.load()
    _prepare(settings)

    async def run() -> None:
        await run_background(bootstrap(settings, run_migrations=False))

    asyncio.run(run())


@cli.command(name="migrate")
def migrate_only() -> None:
    _migrate(EscalationSettings.load())


@cli.command()
def check_config(path: Path) -> None:
    """Validate a YAML configuration file without starting anything."""
    config = load_config(path.read_text(encoding="utf-8"))
    typer.echo(
        f"ok: {len(config.sla_policies)} SLA policies, {len(config.escalation_policies)} "
        f"escalation policies, {len(config.calendars)} calendars, "
        f"{len(config.coordinators)} coordinators"
    )


cli.command("token")(token_command(EscalationSettings.load))


def main() -> None:
    if len(sys.argv) == 1:
        sys.argv.append("serve")
    cli()
