"""``switchboard-dlq``: the dead letters of a consumer group - list, show, replay.

A consumer group's dead letters are in ``switchboard.dlq.<group>``; a dead letter is named
by its ``PARTITION:OFFSET`` there. The cluster and how to reach it are the services' own
settings (``KAFKA_BOOTSTRAP_SERVERS``, ``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_*``,
``KAFKA_SSL_*``); ``--bootstrap-servers`` names other servers.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace
from typing import Annotated

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.table import Table

from switchboard.contracts.topics import dead_letter_topic
from switchboard.dlq import broker
from switchboard.dlq.letters import DeadLetter, group_of, parse_position
from switchboard.dlq.newer import newer_events
from switchboard.dlq.replay import replay as replay_letters
from switchboard.servicekit.kafka import KafkaConnection
from switchboard.servicekit.settings import ServiceSettings

app = typer.Typer(add_completion=False, help=__doc__, no_args_is_help=True)
console = Console(soft_wrap=True)

Bootstrap = Annotated[
    str | None,
    typer.Option(
        "--bootstrap-servers",
        help="host:port[,...]; default: KAFKA_BOOTSTRAP_SERVERS as the services read it.",
        show_default=False,
    ),
]
Group = Annotated[str, typer.Option("--group", "-g", help="The consumer group.")]


def kafka_connection(servers: str | None) -> KafkaConnection:
    """The connection the services' settings describe (TLS, SASL), to ``servers`` when
    given. Only Kafka's settings matter here: the rules on the rest (production needs
    PostgreSQL...) are relaxed."""
    connection = ServiceSettings.load(environment="local", cors_origins=()).kafka
    return replace(connection, bootstrap_servers=servers) if servers else connection


async def list_dead_letters(
    kafka: str | KafkaConnection, group: str | None = None
) -> dict[str, list[dict[str, str | bool | int]]]:
    """Per consumer group (``group``, or every one with a dead-letter topic), its dead
    letters as ``list`` shows them, each saying whether it was replayed and how many events
    for its key the group read after it (``newer_for_key``: a replay would land after them)."""
    groups = [group] if group else [group_of(t) for t in await broker.dead_letter_topics(kafka)]
    listed = {}
    for name in groups:
        async with broker.reader(kafka, name) as dead:
            marks = await dead.replayed_up_to()
            letters = await dead.read()
        newer = await newer_events(kafka, name, letters)
        listed[name] = [
            letter.summary(replayed=letter.offset < marks[letter.partition])
            | {"newer_for_key": len(newer[letter.position])}
            for letter in letters
        ]
    return listed


async def show_dead_letter(
    kafka: str | KafkaConnection, group: str, partition: int, offset: int
) -> DeadLetter:
    async with broker.reader(kafka, group) as dead:
        return await dead.read_one(partition, offset)


def _position(value: str) -> tuple[int, int]:
    try:
        return parse_position(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def _fail(exc: Exception) -> typer.Exit:
    console.print(str(exc) or type(exc).__name__, style="red", markup=False)
    return typer.Exit(1)


@app.command("list")
def list_command(
    group: Annotated[
        str | None, typer.Option("--group", "-g", help="Only this consumer group.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON document.")] = False,
    servers: Bootstrap = None,
) -> None:
    """The dead letters of each consumer group (or one): where, what, why, replayed yet."""
    try:
        listed = asyncio.run(list_dead_letters(kafka_connection(servers), group))
    except (LookupError, TimeoutError, KafkaError) as exc:
        raise _fail(exc) from None
    if as_json:
        console.print_json(json.dumps(listed))
        return
    if not listed:
        console.print("no dead-letter topics")
    for name, rows in listed.items():
        table = Table(title=f"{dead_letter_topic(name)}: {len(rows)} dead letters")
        for column in ("at", "event type", "event id", "reason", "error", "tries"):
            table.add_column(column)
        for column in ("failed at", "original topic/partition/offset", "replayed"):
            table.add_column(column)
        table.add_column("newer for key")
        for row in rows:
            reason = str(row["reason"])
            table.add_row(
                *(str(row[k]) for k in ("position", "event_type", "event_id")),
                reason if len(reason) <= 80 else reason[:79] + "…",
                *(str(row[k]) for k in ("error_type", "attempts", "failed_at", "original")),
                "yes" if row["replayed"] else "no",
                str(row["newer_for_key"]),
            )
        console.print(table)


@app.command()
def show(
    position: Annotated[
        str, typer.Argument(metavar="PARTITION:OFFSET", help="As `list` shows it.")
    ],
    group: Group,
    servers: Bootstrap = None,
) -> None:
    """One dead letter: why it failed, the original headers, its value pretty-printed."""
    partition, offset = _position(position)
    try:
        letter = asyncio.run(show_dead_letter(kafka_connection(servers), group, partition, offset))
    except (LookupError, TimeoutError, KafkaError) as exc:
        raise _fail(exc) from None
    out = console.print
    out(f"[bold]{letter.topic} {letter.position}[/bold]  consumer group {letter.group}")
    out(f"reason:    {letter.reason}", markup=False)
    out(f"error:     {letter.error_type} after {letter.attempts} attempt(s)", markup=False)
    out(f"failed at: {letter.failed_at}", markup=False)
    out(f"original:  {letter.original}", markup=False)
    out(f"key:       {(letter.key or b'').decode(errors='backslashreplace')}", markup=False)
    out("original headers:")
    for name, value in letter.original_headers:
        out(f"  {name}: {value.decode(errors='backslashreplace')}", markup=False)
    out("value:")
    out(letter.pretty_value(), markup=False, highlight=False)


@app.command()
def replay(
    group: Group,
    offsets: Annotated[
        list[str] | None,
        typer.Option(
            "--offset",
            metavar="PARTITION:OFFSET",
            help="Replay this dead letter (repeatable); default: all not replayed yet.",
        ),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what.")] = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replay dead letters with newer events for their key too (they land after "
            "those: an older state applied over a newer one, unless the handler checks versions).",
        ),
    ] = False,
    servers: Bootstrap = None,
) -> None:
    """Send dead letters back to their original topic, for this consumer group only. One
    with newer events for its key on the source topic is refused without --force."""
    positions = [_position(value) for value in offsets or []]
    try:
        done = asyncio.run(
            replay_letters(
                kafka_connection(servers), group, positions, dry_run=dry_run, force=force
            )
        )
    except (LookupError, TimeoutError, ValueError, KafkaError) as exc:
        raise _fail(exc) from None
    verb = "would replay" if dry_run else "replayed"
    for item in done:
        letter = item.letter
        newer = f" (after {len(item.newer)} newer event(s) for its key)" if item.newer else ""
        console.print(
            f"{verb} {letter.position} {letter.event_type} {letter.event_id} -> {item.to}{newer}",
            markup=False,
        )
    console.print(f"{len(done)} dead letter(s) {verb} for {group}", markup=False)


def main() -> None:
    app()
