"""``switchboard-intake``: run the service (migrations, then uvicorn with the outbox relay and
the resolutions consumer in each worker), or manage adapters from the shell."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated

import typer
import uvicorn
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake import adapter_registry as registry
from switchboard.intake.adapters import secret_box
from switchboard.intake.adapters.orm import metadata
from switchboard.intake.domain.values import Channel
from switchboard.intake.migrations import VERSIONS_DIR
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.auth import Role
from switchboard.servicekit.auth.cli import token_command
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.process import prepare_process

app = typer.Typer(help="Switchboard intake: contacts from channel adapters become cases.")
adapters = typer.Typer(help="Register channel adapters and rotate their secrets.")
app.add_typer(adapters, name="adapters")


@app.callback(invoke_without_command=True)
def default(context: typer.Context) -> None:
    """Without a command: run the service."""
    if context.invoked_subcommand is None:
        serve(workers=None)


@app.command()
def serve(
    workers: Annotated[
        int | None, typer.Option(help="uvicorn worker processes (default: http_workers)")
    ] = None,
) -> None:
    """Apply migrations, then serve HTTP with the relay and consumer running in each worker."""
    settings = IntakeSettings.load()
    prepare_process(settings)
    asyncio.run(_migrate(settings))
    uvicorn.run(
        "switchboard.intake.entrypoints.api:app_from_environment",
        factory=True,
        host=settings.http_host,
        port=settings.http_port,
        workers=workers or settings.http_workers,
        log_config=None,
        access_log=False,
    )


@app.command("migrate")
def migrate_command() -> None:
    """Bring the database schema up to date."""
    asyncio.run(_migrate(IntakeSettings.load()))


async def _migrate(settings: IntakeSettings) -> None:
    await migrate(settings.database_url, versions_dir=VERSIONS_DIR, metadata=metadata)


@adapters.command("create")
def create_adapter(
    adapter_id: str,
    channel: Channel,
    region: Annotated[str | None, typer.Option()] = None,
    country: Annotated[str | None, typer.Option(help="ISO 3166 for national numbers")] = None,
    department: Annotated[str | None, typer.Option()] = None,
) -> None:
    """Register an adapter and print its secret (shown only once)."""
    settings = IntakeSettings.load()
    spec = registry.AdapterSpec(
        id=adapter_id,
        channel=channel,
        region=region,
        default_country=country,
        department=department,
    )

    async def create() -> dict[str, object]:
        async with _migrated_sessions() as sessions, sessions() as session, session.begin():
            view, secret = await registry.register_adapter(
                session=session, spec=spec, box=settings.secret_box(), now=datetime.now(UTC)
            )
        return view.public() | {"secret": secret}

    typer.echo(json.dumps(asyncio.run(create()), default=str))


@adapters.command("rotate")
def rotate_adapter(adapter_id: str) -> None:
    """Give an adapter a new secret; the previous one stays valid for the grace period."""
    settings = IntakeSettings.load()

    async def rotate() -> dict[str, object]:
        async with _migrated_sessions() as sessions, sessions() as session, session.begin():
            view, secret = await registry.rotate_secret(
                session=session,
                adapter_id=adapter_id,
                box=settings.secret_box(),
                grace=settings.previous_secret_grace,
                now=datetime.now(UTC),
            )
        return view.public() | {"secret": secret}

    typer.echo(json.dumps(asyncio.run(rotate()), default=str))


@adapters.command("list")
def list_adapters() -> None:
    """The registered adapters, without their secrets."""
    box = IntakeSettings.load().secret_box()

    async def listed() -> list[dict[str, object]]:
        async with _migrated_sessions() as sessions, sessions() as session:
            views = await registry.list_adapters(session=session, box=box)
        return [view.public() for view in views]

    for row in asyncio.run(listed()):
        typer.echo(json.dumps(row, default=str))


@adapters.command("new-key")
def new_secret_key() -> None:
    """Print a new key for ADAPTER_SECRET_KEYS (put it first to rotate; restart seals)."""
    typer.echo(secret_box.new_key())


@adapters.command("seal")
def seal_secrets() -> None:
    """Re-seal the stored adapter secrets under the first configured key (intake also does
    this at every start)."""
    box = IntakeSettings.load().secret_box()

    async def seal() -> int:
        async with _migrated_sessions() as sessions:
            return await registry.seal_stored_secrets(sessions, box)

    typer.echo(json.dumps({"resealed": asyncio.run(seal())}))


app.command("admin-token")(token_command(IntakeSettings.load, default_role=Role.ADMIN))


@asynccontextmanager
async def _migrated_sessions() -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on an up-to-date database for one CLI command."""
    settings = IntakeSettings.load()
    await _migrate(settings)
    engine = create_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def main() -> None:
    app()
