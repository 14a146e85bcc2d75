"""``switchboard-gdpr``: a customer's personal data across the services — export it as one
JSON document (GDPR art. 15) or erase it everywhere and wait for every service's
confirmation (art. 17). Needs an admin bearer token (``--token`` or
``SWITCHBOARD_GDPR_TOKEN``) and the services' base URLs (the local defaults otherwise)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

import httpx
import typer

from switchboard.gdpr.requests import Refused, erase_customer, export_customer

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)

Token = Annotated[str, typer.Option(envvar="SWITCHBOARD_GDPR_TOKEN", help="Admin bearer token.")]
Intake = Annotated[str, typer.Option(help="Intake's base URL.")]
Routing = Annotated[str, typer.Option(help="Routing's base URL.")]
Escalation = Annotated[str, typer.Option(help="Escalation's base URL.")]
Feedback = Annotated[str, typer.Option(help="Feedback's base URL.")]


@app.command()
def export(
    customer_id: str,
    token: Token,
    intake: Intake = "http://127.0.0.1:8001",
    routing: Routing = "http://127.0.0.1:8002",
    escalation: Escalation = "http://127.0.0.1:8003",
    feedback: Feedback = "http://127.0.0.1:8004",
) -> None:
    """Print everything the four services hold of the customer, as one JSON document."""
    urls = {"intake": intake, "routing": routing, "escalation": escalation, "feedback": feedback}

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await export_customer(http, urls, token, customer_id)

    typer.echo(json.dumps(_or_exit(run), indent=2, ensure_ascii=False, default=str))


@app.command()
def erase(
    customer_id: str,
    token: Token,
    intake: Intake = "http://127.0.0.1:8001",
    wait: Annotated[float, typer.Option(help="Seconds to wait for every confirmation.")] = 60,
) -> None:
    """Erase the customer everywhere; exits 1 if a service has not confirmed within --wait."""

    async def run() -> dict[str, Any]:
        async with httpx.AsyncClient(timeout=30) as http:
            return await erase_customer(http, intake, token, customer_id, wait=wait)

    status = _or_exit(run)
    typer.echo(json.dumps(status, indent=2))
    if not status["complete"]:
        raise typer.Exit(1)


def _or_exit(run: Callable[[], Coroutine[Any, Any, dict[str, Any]]]) -> dict[str, Any]:
    try:
        return asyncio.run(run())
    except (Refused, httpx.HTTPError) as error:
        typer.echo(f"switchboard-gdpr: {error}", err=True)
        raise typer.Exit(2) from error


def main() -> None:
    app()
