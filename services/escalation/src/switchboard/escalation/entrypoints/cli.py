"""``switchboard-escalation``: servicekit's ``serve`` (the default), ``worker``, ``migrate``
and ``token``, and ``check-config FILE``."""

from __future__ import annotations

from pathlib import Path

import typer

from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.domain.configuration import load_config
from switchboard.servicekit.service import service_cli


def check_config(path: Path) -> None:
    """Validate a YAML configuration file without starting anything."""
    config = load_config(path.read_text(encoding="utf-8"))
    typer.echo(
        f"ok: {len(config.sla_policies)} SLA policies, {len(config.escalation_policies)} "
        f"escalation policies, {len(config.calendars)} calendars, "
        f"{len(config.coordinators)} coordinators"
    )


def _own_commands(cli: typer.Typer) -> None:
    cli.command("check-config")(check_config)


cli = service_cli(
    DEFINITION,
    app_factory="switchboard.escalation.entrypoints.app:create_app",
    help="Escalation: SLA clocks, escalations and coordinators.",
    commands=_own_commands,
)


def main() -> None:
    cli()
