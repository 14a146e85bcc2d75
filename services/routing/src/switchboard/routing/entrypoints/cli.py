"""``switchboard-routing``: ``migrate``, then ``serve`` (or ``worker``); ``token`` mints a
token for local use."""

from __future__ import annotations

from switchboard.routing.bootstrap import DEFINITION
from switchboard.servicekit.service import service_cli

cli = service_cli(
    DEFINITION,
    app_factory="switchboard.routing.entrypoints.app:create_app",
    help="Switchboard routing: cases reach the best available agent.",
)


def main() -> None:
    cli()
