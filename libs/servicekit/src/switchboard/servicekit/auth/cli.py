"""Print a bearer token: ``python -m switchboard.servicekit.auth`` (reads
``SWITCHBOARD_JWT_SECRET`` / ``SWITCHBOARD_JWT_AUDIENCE``, same defaults as the services),
or a service's own command built by ``token_command`` (reads the service's prefix)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Annotated

import typer

from switchboard.servicekit.auth.principals import Role
from switchboard.servicekit.auth.settings import BearerServiceSettings


def token_command(
    settings: Callable[[], BearerServiceSettings], *, default_role: Role = Role.AGENT
) -> Callable[..., None]:
    """A typer command printing a token signed with the settings' secret, for their audience:
    ``app.command("token")(token_command(MySettings.load))``."""

    def token(
        subject: Annotated[str, typer.Option(help="sub: a user or agent id")] = "operator",
        role: Annotated[Role, typer.Option()] = default_role,
        regions: Annotated[str, typer.Option(help="comma-separated, e.g. nordics,dach")] = "",
        ttl: Annotated[int, typer.Option(min=1, help="seconds the token is valid")] = 3600,
    ) -> None:
        """Print a bearer token signed with the configured jwt_secret (tooling, demos)."""
        verifier = settings().token_verifier()
        claimed = [region.strip() for region in regions.split(",") if region.strip()]
        typer.echo(
            verifier.issue(subject=subject, role=role, regions=claimed, ttl=timedelta(seconds=ttl))
        )

    return token


def main() -> None:
    app = typer.Typer(add_completion=False, help="Print a Switchboard bearer token.")
    app.command()(token_command(BearerServiceSettings.load))
    app()
