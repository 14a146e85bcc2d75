"""``switchboard-routing``: run the service (migrations, then uvicorn with the relay, the
cases consumer, the timer poller and the router), or mint a token for local use."""

from __future__ import annotations

import asyncio

import typer
import uvicorn

from switchboard.routing.adapters.orm import metadata
from switchboard.routing.migrations import VERSIONS_DIR
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.auth.cli import token_command
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.process import prepare_process

app = typer.Typer(help="Switchboard routing: cases reach the best available agent.")


@app.callback(invoke_without_command=True)
def default(context: typer.Context) -> None:
    """Without a command: run the service."""
    if context.invoked_subcommand is None:
        serve()


@app.command()
def serve() -> None:
    """Apply migrations, then serve HTTP with the background runners (one process: the
    engine index lives in it)."""
    settings = RoutingSettings.load()
    prepare_process(settings)
    asyncio.run(migrate(settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata))
    uvicorn.run(
        "switchboard.routing.entrypoints.api:app_from_environment",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        log_config=None,
        access_log=False,
    )


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema up to date."""
    settings = RoutingSettings.load()
    asyncio.run(migrate(settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata))


app.command("token")(token_command(RoutingSettings.load))


def main() -> None:
    app()
