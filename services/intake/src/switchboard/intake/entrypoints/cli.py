"""``switchboard-intake``: servicekit's ``serve``, ``worker``, ``migrate`` and ``token``, plus
managing channel adapters from the shell and printing an admin token."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Coroutine
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from switchboard.intake.adapters import secret_box
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.values import Channel
from switchboard.intake.entrypoints.smtp_receiver import with_smtp_receiver
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.servicekit.auth import Role
from switchboard.servicekit.auth.cli import token_command
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.migrations import SchemaBehind, require_current
from switchboard.servicekit.service import service_cli

T = TypeVar("T")
adapters = typer.Typer(help="Register channel adapters and rotate their secrets.")


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
    spec = AdapterSpec(
        id=adapter_id,
        channel=channel,
        region=region,
        default_country=country,
        department=department,
    )

    async def create() -> dict[str, object]:
        async with _current_sessions(settings) as sessions, sessions.begin() as session:
            view, secret = await channel_adapters.register_adapter(
                session=session, box=settings.secret_box(), spec=spec, now=datetime.now(UTC)
            )
        return view.public() | {"secret": secret}

    typer.echo(json.dumps(_run(create()), default=str))


@adapters.command("rotate")
def rotate_adapter(adapter_id: str) -> None:
    """Give an adapter a new secret; the previous one stays valid for the grace period."""
    settings = IntakeSettings.load()

    async def rotate() -> dict[str, object]:
        async with _current_sessions(settings) as sessions, sessions.begin() as session:
            view, secret = await channel_adapters.rotate_secret(
                session=session,
                box=settings.secret_box(),
                adapter_id=adapter_id,
                grace=settings.previous_secret_grace,
                now=datetime.now(UTC),
            )
        return view.public() | {"secret": secret}

    typer.echo(json.dumps(_run(rotate()), default=str))


@adapters.command("list")
def list_adapters() -> None:
    """The registered adapters, without their secrets."""
    settings = IntakeSettings.load()

    async def listed() -> list[dict[str, object]]:
        async with _current_sessions(settings) as sessions, sessions() as session:
            views = await channel_adapters.list_adapters(session=session, box=settings.secret_box())
        return [view.public() for view in views]

    for row in _run(listed()):
        typer.echo(json.dumps(row, default=str))


@adapters.command("new-key")
def new_secret_key() -> None:
    """Print a new key for ADAPTER_SECRET_KEYS (put it first to rotate; restart seals)."""
    typer.echo(secret_box.new_key())


@adapters.command("seal")
def seal_secrets() -> None:
    """Re-seal the stored adapter secrets under the first configured key (intake also does
    this at every start)."""
    settings = IntakeSettings.load()

    async def seal() -> int:
        async with _current_sessions(settings) as sessions:
            return await channel_adapters.seal_stored_secrets(
                sessions=sessions, box=settings.secret_box()
            )

    typer.echo(json.dumps({"resealed": _run(seal())}))


@asynccontextmanager
async def _current_sessions(
    settings: IntakeSettings,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions for one command, on a database the ``migrate`` command brought up to date
    (an operator's command never changes the schema behind their back)."""
    schema = DEFINITION.migrations
    await require_current(
        settings.database_url, versions_dir=schema.versions_dir, metadata=schema.metadata
    )
    engine = create_engine(settings.database_url)
    try:
        yield session_factory(engine)
    finally:
        await engine.dispose()


def _run(command: Coroutine[Any, Any, T]) -> T:
    try:
        return asyncio.run(command)
    except SchemaBehind as error:
        typer.echo(f"{error}: switchboard-intake migrate", err=True)
        raise typer.Exit(1) from error


def intake_commands(cli: typer.Typer) -> None:
    cli.add_typer(adapters, name="adapters")
    cli.command("admin-token")(token_command(IntakeSettings.load, default_role=Role.ADMIN))


cli = service_cli(
    with_smtp_receiver(DEFINITION),
    app_factory="switchboard.intake.entrypoints.app:create_app",
    help="Switchboard intake: contacts from channel adapters become cases.",
    commands=intake_commands,
)


def main() -> None:
    cli()
