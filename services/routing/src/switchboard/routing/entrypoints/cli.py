"""``switchboard-routing``: ``migrate``, then ``serve`` (or ``worker``); ``token`` mints a
token for local use; ``what-if`` replays a recorded day under other policies or staffing."""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from statistics import median
from typing import Annotated

import typer

from switchboard.routing.bootstrap import DEFINITION, staffing_plan
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.whatif.comparing import Alternative
from switchboard.routing.domain.whatif.results import side_by_side
from switchboard.routing.service_layer.what_if import alternative, stored_policies, what_if
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.db.engine import create_engine, session_factory
from switchboard.servicekit.service import service_cli

cli = service_cli(
    DEFINITION,
    app_factory="switchboard.routing.entrypoints.app:create_app",
    help="Switchboard routing: cases reach the best available agent.",
)


@cli.command("what-if")
def what_if_command(
    start: Annotated[
        datetime | None, typer.Option("--from", help="start of the day (UTC if no zone)")
    ] = None,
    end: Annotated[datetime | None, typer.Option("--to", help="its end (default: now)")] = None,
    hours: Annotated[float, typer.Option(help="without --from: the last HOURS")] = 24.0,
    policies: Annotated[
        list[str] | None,
        typer.Option(help="NAME=POLICIES.yaml: an alternative routing by that policy file"),
    ] = None,
    staffing: Annotated[
        list[str] | None,
        typer.Option(help="NAME=POOL:+N (or :-N, :*FACTOR): an alternative's staffing change"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of the table")] = False,
) -> None:
    """Replay the recorded day (read from the topics) with the policies in force, then each
    alternative, in simulated time; print waits, service level and offers per agent per
    pool side by side with the day as recorded."""
    settings = RoutingSettings.load()
    until = _aware(end) if end else datetime.now(UTC)
    since = _aware(start) if start else until - timedelta(hours=hours)
    alternatives = _alternatives(policies or [], staffing or [])
    asyncio.run(_run(settings, since, until, alternatives, as_json=as_json))


async def _run(
    settings: RoutingSettings,
    start: datetime,
    end: datetime,
    alternatives: list[Alternative],
    *,
    as_json: bool,
) -> None:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        sessions = session_factory(engine)
        result = await what_if(
            kafka=settings.kafka,
            sessions=sessions,
            start=start,
            end=end,
            alternatives=alternatives,
            policies_in_force=await stored_policies(sessions),
            staffing=staffing_plan(settings),
        )
    finally:
        await engine.dispose()
    day = result.day
    if as_json:
        outcomes = [asdict(each) for each in result.outcomes]
        typer.echo(json.dumps({"day_seconds": day.seconds, "outcomes": outcomes}, default=str))
        return
    present = sum(
        1 for agent in day.agents if any(p is Presence.AVAILABLE for _, p in agent.presence)
    )
    typer.echo(
        f"{start.isoformat()} to {end.isoformat()}: {len(day.visits)} visits to the queues, "
        f"{len(day.agents)} agents ({present} available at some time); routing took a median "
        f"{median(day.dispatch_seconds or (0.0,)):.2f} s from an agent freed to its next offer; "
        "abandonment is not recorded\n"
    )
    typer.echo(side_by_side(result.outcomes))
    for each in result.outcomes[1:]:
        speedup = day.seconds / each.replay_seconds if each.replay_seconds else float("inf")
        typer.echo(
            f"\n{each.name}: {each.replays} replays, each in {each.replay_seconds:.3f} s "
            f"({speedup:,.0f}x real "
            f"time); {each.answers_assumed} offers to agents not offered that case that day "
            f"taken as accepted, {each.holds_assumed} handle times taken as the pool's mean"
        )


def _alternatives(policies: list[str], staffing: list[str]) -> list[Alternative]:
    files: dict[str, str] = {}
    changes: dict[str, list[str]] = {}
    for text in policies:
        name, _, path = text.partition("=")
        files[name] = Path(path).read_text(encoding="utf-8")
    for text in staffing:
        name, _, change = text.partition("=")
        changes.setdefault(name, []).append(change)
    names = list(dict.fromkeys([*files, *changes]))
    return [
        alternative(name, policies_yaml=files.get(name), staffing=changes.get(name, []))
        for name in names
    ]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def main() -> None:
    cli()
