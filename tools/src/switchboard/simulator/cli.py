"""``switchboard-simulate``: a compressed working day against a running platform."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.console import Console
from rich.live import Live

from switchboard.servicekit.auth import DEV_JWT_SECRET
from switchboard.simulator.api import PlatformError, Urls
from switchboard.simulator.day import SimulationConfig, run_day
from switchboard.simulator.report import DayReport
from switchboard.simulator.scenario import REGION_NAMES
from switchboard.simulator.summary import Snapshot, hourly_line, render_table
from switchboard.simulator.understaffing import parse_understaffed_hour

LOOPBACK = {"127.0.0.1", "localhost", "::1"}
app = typer.Typer(add_completion=False, help=__doc__)


def _loopback_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or parts.hostname not in LOOPBACK:
        raise typer.BadParameter(f"{value!r}: the simulator only talks to loopback http URLs")
    return value.rstrip("/")


def _loopback_kafka(value: str) -> str:
    for server in value.split(","):
        host = server.rsplit(":", 1)[0].strip("[]")
        if host not in LOOPBACK or ":" not in server:
            raise typer.BadParameter(f"{server!r}: expected a loopback host:port")
    return value


def _regions(value: list[str]) -> list[str]:
    names = [name.strip() for item in value for name in item.split(",") if name.strip()]
    unknown = sorted(set(names) - set(REGION_NAMES))
    if unknown:
        raise typer.BadParameter(f"unknown region {unknown}; choose from {list(REGION_NAMES)}")
    return names


def _understaffed_hours(value: list[str]) -> list[str]:
    try:
        for written in value:
            parse_understaffed_hour(written)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error
    return value


Url = Annotated[str, typer.Option(callback=_loopback_url)]


@app.command()
def simulate(
    intake: Url = "http://127.0.0.1:8001",
    routing: Url = "http://127.0.0.1:8002",
    escalation: Url = "http://127.0.0.1:8003",
    feedback: Url = "http://127.0.0.1:8004",
    kafka: Annotated[
        str, typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", callback=_loopback_kafka)
    ] = "127.0.0.1:9092",
    jwt_secret: Annotated[
        str, typer.Option(envvar="SWITCHBOARD_JWT_SECRET", show_default=False)
    ] = DEV_JWT_SECRET,
    day_seconds: Annotated[
        float, typer.Option(min=10, help="Real seconds for the 08:00-18:00 day.")
    ] = 300.0,
    contacts: Annotated[int, typer.Option(min=1, max=1_000_000, help="Contacts a day.")] = 600,
    seed: int = 1,
    days: Annotated[int, typer.Option(min=1, help="Days in a row (soak).")] = 1,
    understaffed: Annotated[
        list[str], typer.Option(callback=_regions, help="Region short of agents (repeatable).")
    ] = ["dach"],  # noqa: B006 - typer reads the default, nothing mutates it
    understaffed_hour: Annotated[
        list[str],
        typer.Option(
            callback=_understaffed_hours,
            metavar="REGION@HH:MM[+MINUTES][/STAYING]",
            help="Each day from HH:MM, for MINUTES (60), all but STAYING (1) of the region's "
            "agents on shift go away, then come back (repeatable).",
        ),
    ] = [],  # noqa: B006 - typer reads the default, nothing mutates it
    report: Annotated[Path | None, typer.Option(help="Write the JSON report here.")] = None,
    quiet: Annotated[bool, typer.Option(help="One line per simulated hour.")] = False,
) -> None:
    """Drive a compressed working day: contacts on every channel, agents, customers."""
    config = SimulationConfig(
        urls=Urls(intake, routing, escalation, feedback),
        kafka=kafka,
        jwt_secret=jwt_secret,
        day_seconds=day_seconds,
        contacts=contacts,
        seed=seed,
        days=days,
        understaffed=tuple(understaffed),
        understaffed_hours=tuple(map(parse_understaffed_hour, understaffed_hour)),
    )
    console = Console()
    _print_urls(console, config.urls)
    try:
        result = asyncio.run(_run(config, console, quiet or not console.is_terminal))
    except PlatformError as error:
        console.print(f"[red]the platform refused: {error}[/red]")
        raise typer.Exit(1) from error
    if report is not None:
        report.write_text(json.dumps(result.to_json(), indent=2, default=str))
        console.print(f"report written to {report}")
    _print_outcome(console, result)


async def _run(config: SimulationConfig, console: Console, quiet: bool) -> DayReport:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, _stopper(loop, stop, signum))
    if quiet:
        return await run_day(config, stop=stop, on_snapshot=_hourly_printer(console))
    with Live(console=console, refresh_per_second=2, transient=False) as live:
        return await run_day(
            config, stop=stop, on_snapshot=lambda snap: live.update(render_table(snap))
        )


def _stopper(
    loop: asyncio.AbstractEventLoop, stop: asyncio.Event, signum: int
) -> Callable[[], None]:
    def handle() -> None:
        stop.set()
        loop.remove_signal_handler(signum)  # a second Ctrl-C ends the process at once

    return handle


def _hourly_printer(console: Console) -> Callable[[Snapshot], None]:
    printed: set[tuple[int, int]] = set()

    def on_snapshot(snapshot: Snapshot) -> None:
        key = (snapshot.day, int(snapshot.hour))
        if key not in printed:
            printed.add(key)
            console.print(hourly_line(snapshot), soft_wrap=True, markup=False)

    return on_snapshot


def _print_urls(console: Console, urls: Urls) -> None:
    console.print(f"coordinator console: {urls.escalation}/console")
    for name, url in vars(urls).items():
        console.print(f"{name} API: {url}/docs")


def _print_outcome(console: Console, result: DayReport) -> None:
    answered = result.surveys_answered
    scores = [s.csat for s in answered if s.csat is not None]
    conversation = result.conversation
    console.print(
        f"run {result.run_id}: {result.days} day(s){' (interrupted)' if result.interrupted else ''}"
        f", {len(result.accepted)}/{len(result.contacts)} contacts accepted, "
        f"offers {result.offers.seen} seen / {result.offers.accepted} accepted / "
        f"{result.offers.declined} declined, {result.transfers} transfers, "
        f"{result.resolutions} resolved, replies {conversation.replies_sent} sent / "
        f"{conversation.delivered} delivered / {conversation.failed} failed / "
        f"{conversation.customer_answers} answered by customers, "
        f"surveys {len(answered)}/{len(result.surveys)} "
        f"answered (mean CSAT {sum(scores) / len(scores) if scores else 0:.1f}), "
        f"SLA breaches {dict(result.sla_breaches)}, escalations {dict(result.escalations)}"
    )
    if result.errors:
        console.print(f"[yellow]{len(result.errors)} errors, first: {result.errors[0]}[/yellow]")


def main() -> None:
    app()
