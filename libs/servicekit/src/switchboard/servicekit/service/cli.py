"""A service's command line, the same for all: ``serve``, ``worker``, ``migrate``, ``token``,
plus the service's own commands. ``serve`` and ``worker`` refuse an outdated schema:
``migrate`` is its own step, run before them (the launcher and compose's one-shot jobs
do)."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from typing import Annotated, Any

import typer
import uvicorn

from switchboard.servicekit.auth.cli import token_command
from switchboard.servicekit.migrations import migrate
from switchboard.servicekit.process import prepare_process
from switchboard.servicekit.service.app import settle_startup_objects
from switchboard.servicekit.service.assembly import assemble
from switchboard.servicekit.service.definition import CommandsHook, ServiceDefinition


def service_cli(
    definition: ServiceDefinition[Any, Any],
    *,
    app_factory: str,
    help: str,
    commands: CommandsHook | None = None,
) -> typer.Typer:
    """``app_factory``: the ``module:function`` uvicorn calls in each worker process."""
    cli = typer.Typer(help=help, add_completion=False)

    @cli.callback(invoke_without_command=True)
    def default(context: typer.Context) -> None:
        """Without a command: serve."""
        if context.invoked_subcommand is None:
            serve(workers=None)

    @cli.command()
    def serve(
        workers: Annotated[
            int | None, typer.Option(help="uvicorn worker processes (default: http_workers)")
        ] = None,
    ) -> None:
        """Serve HTTP, with the consumer, relay, timers and workers running in each process."""
        settings = definition.settings.load()
        prepare_process(settings)
        uvicorn.run(
            app_factory,
            factory=True,
            host=settings.http_host,
            port=settings.http_port,
            workers=workers or settings.http_workers,
            log_config=None,
            access_log=False,
        )

    @cli.command()
    def worker() -> None:
        """Run only the background side (consumer, relay, timers, workers), no HTTP."""
        settings = definition.settings.load()
        prepare_process(settings)
        asyncio.run(_run_until_signalled(definition, settings))

    @cli.command("migrate")
    def migrate_command() -> None:
        """Bring the database schema up to date (before serving; safe to run again)."""
        settings = definition.settings.load()
        prepare_process(settings)
        schema = definition.migrations
        asyncio.run(
            migrate(
                settings.database_url, versions_dir=schema.versions_dir, metadata=schema.metadata
            )
        )

    cli.command("token")(token_command(definition.settings.load))
    if commands is not None:
        commands(cli)
    return cli


async def _run_until_signalled(definition: ServiceDefinition[Any, Any], settings: Any) -> None:
    service = assemble(definition, settings)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(signum, stop.set)
    await service.runtime.start()
    settle_startup_objects()
    try:
        await stop.wait()
    finally:
        await service.runtime.stop()
