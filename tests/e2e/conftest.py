"""The ``platform`` fixture: the four services as real processes, started once per session.

A failing test's report gets a section with the tail of every service's log; the logs live
in a temp dir removed at the end of the session (copied to ``SWITCHBOARD_E2E_LOG_DIR`` first
when that is set).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from switchboard.servicekit.testing.receiver import serving

from .browser import browser  # noqa: F401  (a fixture for the console tests)
from .platform import SERVICES, EventLog, Intake, Platform, Routing
from .stand_ins import GraphStandIn, RunningRelay


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """A failing e2e test's report carries the tail of every service's log."""
    outcome = yield
    report = outcome.get_result()
    if not report.failed:
        return
    for name in ("platform", "launched"):  # the test fixture's, or switchboard-up's
        platform = getattr(item, "funcargs", {}).get(name)
        if platform is not None and hasattr(platform, "tails"):
            report.sections.append((f"{name}: service logs (last lines)", platform.tails(60)))


@pytest.fixture(scope="session")
def running_platform(kafka_bootstrap: str, postgres_server) -> Iterator[Platform]:
    run = uuid.uuid4().hex[:8]
    names = {service: f"e2e_{service}_{run}" for service in SERVICES}
    urls = {service: postgres_server.create_database(name) for service, name in names.items()}
    with tempfile.TemporaryDirectory(prefix="switchboard-e2e-") as workdir:
        platform = Platform(kafka_bootstrap, urls, Path(workdir))
        try:
            platform.start()
            yield platform
        finally:
            platform.stop()
            if keep := os.environ.get("SWITCHBOARD_E2E_LOG_DIR"):  # to read them afterwards
                shutil.copytree(workdir, keep, dirs_exist_ok=True)
    if getattr(postgres_server, "shared", False):
        for name in names.values():
            postgres_server.drop_database(name)


@pytest.fixture
def platform(running_platform: Platform) -> Platform:
    dead = [name for name, s in running_platform.services.items() if not s.alive()]
    if dead:
        pytest.fail(f"services not running: {dead}\n{running_platform.tails()}")
    return running_platform


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


@pytest.fixture
async def events(platform: Platform) -> AsyncIterator[EventLog]:
    async with EventLog(platform.kafka_bootstrap) as log:
        yield log


@pytest.fixture
def intake(platform: Platform, http: httpx.AsyncClient) -> Intake:
    return Intake(platform, http)


@pytest.fixture
def routing(platform: Platform, http: httpx.AsyncClient) -> Routing:
    return Routing(platform, http)


@pytest.fixture
async def graph(platform: Platform) -> AsyncIterator[GraphStandIn]:
    """Meta's Graph API stand-in, where the platform's intake sends WhatsApp replies."""
    stand_in = GraphStandIn()
    async with serving(stand_in.app(), platform.graph_port):
        yield stand_in


@pytest.fixture
def mail_relay() -> Iterator[RunningRelay]:
    """A team's own mail server (SMTP on loopback) for an adapter of provider smtp."""
    relay = RunningRelay()
    try:
        yield relay
    finally:
        relay.stop()
