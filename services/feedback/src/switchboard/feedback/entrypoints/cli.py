"""``switchboard-feedback``: ``serve`` (also without a command), ``worker``, ``migrate``,
``token``."""

from __future__ import annotations

from switchboard.feedback.bootstrap import DEFINITION
from switchboard.servicekit.service import service_cli

cli = service_cli(
    DEFINITION,
    app_factory="switchboard.feedback.entrypoints.app:create_app",
    help="Switchboard feedback: post-resolution surveys, detractor alerts and KPIs.",
)


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
