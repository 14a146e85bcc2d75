"""``switchboard-up``: the whole platform on this machine until Ctrl-C (``make up``), and with
``--demo`` a simulated working day on it (``make demo``)."""

# Starting our own simulator's console script is part of this module's purpose.
# ruff: noqa: S603

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from switchboard.launcher.databases import DatabaseKind
from switchboard.launcher.escalation_config import coordinators_in
from switchboard.launcher.local_platform import (
    DEFAULT_KAFKA_PORT,
    LaunchOptions,
    LocalPlatform,
    parse_replicas,
)
from switchboard.launcher.processes import SERVICES, LaunchError
from switchboard.launcher.sign_in import console_links

DEMO_CONFIG = Path(__file__).resolve().parents[4] / "deploy" / "demo"
app = typer.Typer(add_completion=False, pretty_exceptions_enable=False)
console = Console(highlight=False)


class Stop(Exception):
    """SIGTERM (or SIGINT) asked the launcher to stop everything."""


def _raise_stop(signum: int, _frame: FrameType | None) -> None:
    raise Stop(signal.Signals(signum).name)


def _one_or_three(nodes: int) -> int:
    """Two KRaft voters cannot lose one (a quorum is both): one node, or a cluster of three."""
    if nodes == 2:
        raise typer.BadParameter("1 (one broker) or 3 (a cluster): two voters tolerate no fault")
    return nodes


def _replicas(text: str) -> dict[str, int]:
    try:
        return parse_replicas(text)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def _demo_file(name: str, given: Path | None) -> Path | None:
    if given is not None:
        if not given.is_file():
            raise typer.BadParameter(f"{given} is not a file")
        return given.resolve()
    default = DEMO_CONFIG / name
    return default if default.is_file() else None


@app.command()
def up(
    demo: Annotated[
        bool, typer.Option(help="run the simulated demo day once all are ready")
    ] = False,
    data_dir: Annotated[Path, typer.Option(help="broker log, databases and logs; reused")] = Path(
        ".data/platform"
    ),
    database: Annotated[DatabaseKind, typer.Option(help="auto: PostgreSQL if possible")] = (
        DatabaseKind.AUTO
    ),
    postgres_url: Annotated[
        str | None,
        typer.Option(envvar="SWITCHBOARD_POSTGRES_URL", help="an existing PostgreSQL server"),
    ] = None,
    port_base: Annotated[int, typer.Option(min=1024, max=65000, help="intake's port; +1..+3")] = (
        8001
    ),
    kafka_port: Annotated[int, typer.Option(min=1024, max=65535)] = DEFAULT_KAFKA_PORT,
    kafka_nodes: Annotated[
        int,
        typer.Option(
            min=1,
            max=3,
            callback=lambda nodes: _one_or_three(nodes),
            help="3: a private cluster, topics replicated 3 times",
        ),
    ] = 1,
    kafka_bootstrap: Annotated[
        str | None,
        typer.Option(envvar="KAFKA_BOOTSTRAP_SERVERS", help="an existing broker to use"),
    ] = None,
    replicas: Annotated[
        str,
        typer.Option(
            help="processes per service, e.g. intake=2,routing=3,escalation=2,feedback=2 "
            "(one each unless named); the first replicas on --port-base..+3, the others "
            "on the ports after them (or from --replica-port-base)",
        ),
    ] = "",
    replica_port_base: Annotated[
        int | None, typer.Option(min=1024, max=65000, help="first port of the extra replicas")
    ] = None,
    routing_policies: Annotated[Path | None, typer.Option(help="routing's policies")] = None,
    escalation_config: Annotated[Path | None, typer.Option(help="SLA/escalation config")] = None,
    jwt_secret: Annotated[
        str | None, typer.Option(envvar="SWITCHBOARD_JWT_SECRET", help="default: the dev secret")
    ] = None,
    day_seconds: Annotated[float, typer.Option(min=10, help="demo: real seconds per day")] = 300,
    contacts: Annotated[int, typer.Option(min=1, help="demo: contacts in the day")] = 600,
    seed: Annotated[int, typer.Option(help="demo: random seed")] = 7,
) -> None:
    """Start Kafka, the databases and the four services on loopback; Ctrl-C stops them."""
    options = LaunchOptions(
        data_dir=data_dir,
        ports={name: port_base + offset for offset, name in enumerate(SERVICES)},
        kafka_port=kafka_port,
        kafka_nodes=kafka_nodes,
        kafka_bootstrap=kafka_bootstrap,
        database=database,
        postgres_url=postgres_url,
        routing_policies=_demo_file("routing-policies.yaml", routing_policies),
        escalation_config=_demo_file("escalation.yaml", escalation_config),
        jwt_secret=jwt_secret,
        replicas=_replicas(replicas),
        replica_port_base=replica_port_base,
    )
    platform = LocalPlatform(options)
    # Explicit handlers: a shell that starts us in the background ignores SIGINT for us.
    signal.signal(signal.SIGINT, _raise_stop)
    signal.signal(signal.SIGTERM, _raise_stop)
    code = 0
    try:
        platform.start(report=lambda line: console.print(f"[dim]·[/dim] {line}"))
        _print_addresses(platform, options)
        if demo:
            code = _run_demo(platform, options, day_seconds, contacts, seed)
        console.print("[bold]Switchboard is running.[/bold] Ctrl-C stops it.")
        _watch(platform)
    except LaunchError as error:
        console.print(f"[red]switchboard-up: {error}[/red]")
        code = 1
    except ServiceDied as died:
        console.print(f"[red]switchboard-up: {died}[/red]")
        code = 1
    except Stop:
        console.print("\nstopping: services first, then the broker and the database …")
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not cut it short
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        platform.stop()
    console.print(f"stopped; data kept in {platform.data_dir}")
    raise typer.Exit(code)


class ServiceDied(RuntimeError):
    pass


def _watch(platform: LocalPlatform) -> None:
    """Until a service has no replica left; a replica that dies while others of its service
    live on is reported once (the others carry its work)."""
    reported: set[str] = set()
    while True:
        time.sleep(1.0)
        dead = platform.dead_services()
        for label in sorted(set(dead) - reported):
            reported.add(label)
            log = platform.services[label].log_path
            console.print(f"[yellow]{label} stopped on its own (log {log})[/yellow]")
        for name in SERVICES:
            replicas = [s for s in platform.services.values() if s.name == name]
            if replicas and all(s.label in dead for s in replicas):
                tail = replicas[0].tail()
                raise ServiceDied(f"{name} stopped on its own (every replica):\n{tail}")


def _print_addresses(platform: LocalPlatform, options: LaunchOptions) -> None:
    table = Table(title="Switchboard on this machine", show_header=True, title_justify="left")
    table.add_column("what")
    table.add_column("where")
    for name in SERVICES:
        table.add_row(name, f"{platform.url(name)}  (API docs {platform.url(name)}/docs)")
        for i, url in enumerate(platform.urls(name)[1:], start=1):
            table.add_row(f"{name} replica {i}", url)
    table.add_row("Kafka", platform.kafka_bootstrap)
    table.add_row("databases", platform.database_note)
    table.add_row("logs", str(platform.logs_dir))
    console.print(table)
    console_url = f"{platform.url('escalation')}/console"
    console.print(f"Coordinator console: [link={console_url}]{console_url}[/link]; sign in with:")
    for who, link in console_links(
        console_url, coordinators_in(options.escalation_config), options.jwt_secret
    ):
        console.print(f"  {who}: {link}", soft_wrap=True)
    workspace_url = f"{platform.url('routing')}/workspace"
    console.print(
        f"Agent workspace: [link={workspace_url}]{workspace_url}[/link]; sign in with a token of "
        "an agent in routing's directory (GET /v1/agents lists them): "
        f"{workspace_url}#token=$(.venv/bin/switchboard-routing token --subject AGENT_ID)",
        soft_wrap=True,
    )
    console.print(
        "Subscribe to a topic: kcat -C -b "
        f"{platform.kafka_bootstrap} -t switchboard.cases -f '%h\\n%s\\n'"
    )


def _run_demo(
    platform: LocalPlatform, options: LaunchOptions, day_seconds: float, contacts: int, seed: int
) -> int:
    """The simulator on this terminal, in a session of its own: a Ctrl-C reaches the
    launcher only, which passes it on once, so the simulator writes its report before the
    platform stops."""
    report = platform.data_dir / "demo-day.json"
    command = [
        str(Path(sys.executable).parent / "switchboard-simulate"),
        "--intake", platform.url("intake"),
        "--routing", platform.url("routing"),
        "--escalation", platform.url("escalation"),
        "--feedback", platform.url("feedback"),
        "--kafka", platform.kafka_bootstrap,
        "--day-seconds", f"{day_seconds:g}",
        "--contacts", str(contacts),
        "--seed", str(seed),
        "--report", str(report),
    ]  # fmt: skip
    env = dict(os.environ)
    if options.jwt_secret:
        env["SWITCHBOARD_JWT_SECRET"] = options.jwt_secret
    simulator = subprocess.Popen(command, env=env, start_new_session=True)
    try:
        code = simulator.wait()
    except Stop:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        simulator.send_signal(signal.SIGINT)
        try:
            simulator.wait(30)
        except subprocess.TimeoutExpired:
            simulator.kill()
        raise
    if code != 0:
        console.print(f"[red]the demo day ended with exit code {code}[/red]")
        return code
    console.print(f"Demo day over; its report is {report}. The platform stays up to explore.")
    return 0


def main() -> None:
    app()
