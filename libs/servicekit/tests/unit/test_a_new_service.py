"""A new service needs its events, a definition, its domain, its handlers, its migrations
and its routes; servicekit builds the rest. The greeter (``tests/greeter``) is such a
service, run here in-process on SQLite: its handler table, timers, outbox, app and CLI."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from typer.testing import CliRunner

from switchboard.servicekit.migrations import SchemaBehind, require_current
from switchboard.servicekit.service import service_app, service_cli
from switchboard.servicekit.testing.in_process import InProcessService

from ..greeter.api import HTTP_API
from ..greeter.bootstrap import DEFINITION
from ..greeter.events import VisitorArrived, VisitorGreeted


@pytest.fixture
async def greeter(tmp_path):
    service = await InProcessService.start(DEFINITION, tmp_path, linger_seconds=30)
    yield service
    await service.close()


async def test_events_reach_their_handler_once_and_what_it_publishes_is_on_the_outbox(greeter):
    arrived = (await greeter.deliver(VisitorArrived(visitor="mette", language="da")))[0]
    await greeter.deliver(arrived)  # redelivered: the inbox skips it
    await greeter.deliver(VisitorArrived(visitor="mette", language="da"))

    greetings = await greeter.published(VisitorGreeted)
    assert [g.words for g in greetings] == ["Hej, mette!", "Hej, mette!"]
    source = greeter.service.definition.source
    assert source == "/switchboard/greeter"


async def test_a_durable_timer_fires_its_handler_when_due(greeter):
    arrived = (await greeter.deliver(VisitorArrived(visitor="aino", language="fi")))[0]
    assert await greeter.fire_timers(now=arrived.time + timedelta(seconds=29)) == 0
    assert await greeter.fire_timers(now=arrived.time + timedelta(seconds=30)) == 1
    farewells = await greeter.published(VisitorGreeted, where=lambda g: g.farewell)
    assert [f.words for f in farewells] == ["Näkemiin, aino."]


async def test_the_app_serves_the_routes_with_the_shared_dependencies(greeter):
    await greeter.deliver(VisitorArrived(visitor="zofia", language="pl"))
    app = service_app(greeter.service, HTTP_API)
    token = greeter.service.tokens.issue(subject="ops", role="admin", ttl=timedelta(minutes=1))
    auth = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://greeter") as client:
        assert (await client.get("/visitors/zofia", headers=auth)).json() == {"visits": 1}
        assert (await client.get("/visitors/nobody", headers=auth)).status_code == 404
        assert (await client.get("/visitors/zofia")).status_code == 401
        asyncapi = (await client.get("/asyncapi.json")).json()
        assert asyncapi["info"]["title"].lower().startswith("switchboard")


def test_migrating_is_a_step_of_its_own_and_serving_refuses_an_old_schema(tmp_path, monkeypatch):
    url = f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    schema = DEFINITION.migrations
    current = require_current(url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    with pytest.raises(SchemaBehind, match="run the service's `migrate` command"):
        asyncio.run(current)

    monkeypatch.setenv("SWITCHBOARD_GREETER_DATABASE_URL", url)
    cli = service_cli(DEFINITION, app_factory="unused:app", help="greeter")
    result = CliRunner().invoke(cli, ["migrate"])
    assert result.exit_code == 0, result.output
    asyncio.run(require_current(url, versions_dir=schema.versions_dir, metadata=schema.metadata))

    token = CliRunner().invoke(cli, ["token", "--subject", "greta", "--role", "coordinator"])
    principal = DEFINITION.settings.load().token_verifier().principal(token.output.strip())
    assert principal.subject == "greta"
