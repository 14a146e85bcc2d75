"""Pytest fixtures that give tests the real Kafka broker and PostgreSQL.

Nothing starts until a test asks: ``kafka_broker``/``kafka_bootstrap`` start one broker and
``postgres_server``/``database_url`` one cluster for the whole session, under a temp dir
removed at the end. Environment switches, checked in this order:

- ``KAFKA_BOOTSTRAP_SERVERS`` / ``SWITCHBOARD_TEST_POSTGRES_URL`` (a server-level URL): use
  those servers instead of launching any;
- ``SWITCHBOARD_USE_TESTCONTAINERS=1``: containers of the images built here (``make
  images``), on the host's network; the session fails if no Docker engine answers;
- otherwise local processes (``make setup`` fetches the broker's jars once).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Protocol

import pytest

from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.testing import containers
from switchboard.servicekit.testing.external import ExternalKafka, ExternalPostgres
from switchboard.servicekit.testing.topics import create_topics

__all__ = ["KafkaServer", "PostgresServer", "create_topics"]


class KafkaServer(Protocol):
    restartable: bool

    @property
    def bootstrap_servers(self) -> str: ...
    def start(self) -> None: ...
    def stop(self) -> None: ...


class PostgresServer(Protocol):
    def url(self, database: str = ..., driver: str = ...) -> str: ...
    def create_database(self, name: str) -> str: ...
    def drop_database(self, name: str) -> None: ...


def pytest_report_header(config: pytest.Config) -> str | None:
    if os.environ.get(containers.ENABLE) != "1":
        return None
    return (
        f"switchboard infra: containers {containers.kafka_image()} and "
        f"{containers.postgres_image()} (testcontainers, host network)"
    )


@pytest.fixture(scope="session")
def switchboard_infra_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="switchboard-infra-"))
    path.chmod(0o755)  # when we are root, PostgreSQL runs as another user that must get in
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def kafka_broker(request: pytest.FixtureRequest) -> Iterator[KafkaServer]:
    if os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
        yield ExternalKafka(os.environ["KAFKA_BOOTSTRAP_SERVERS"])
        return
    with ExitStack() as stack:
        if containers.wanted():
            yield stack.enter_context(containers.kafka_broker())
            return
        infra_dir: Path = request.getfixturevalue("switchboard_infra_dir")
        yield stack.enter_context(KafkaBroker(infra_dir / "kafka", fast_start=True))


@pytest.fixture(scope="session")
def kafka_bootstrap(kafka_broker: KafkaServer) -> str:
    return kafka_broker.bootstrap_servers


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    if os.environ.get("SWITCHBOARD_TEST_POSTGRES_URL"):
        yield ExternalPostgres(os.environ["SWITCHBOARD_TEST_POSTGRES_URL"])
        return
    with ExitStack() as stack:
        if containers.wanted():
            yield ExternalPostgres(stack.enter_context(containers.postgres_server_url()))
            return
        infra_dir: Path = request.getfixturevalue("switchboard_infra_dir")
        yield stack.enter_context(PostgresCluster(infra_dir / "postgres", durable=False))


def _database_name(hint: str) -> str:
    # Readable in psql (the test's name) and unique; PostgreSQL cuts names at 63 bytes.
    readable = re.sub(r"[^a-z0-9]+", "_", hint.lower()).strip("_")[:40] or "test"
    return f"{readable}_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def database_factory(postgres_server: PostgresServer) -> Iterator[Callable[..., str]]:
    """``make(hint="test") -> url``: a fresh database per call, e.g. one per service."""
    created: list[str] = []

    def make(hint: str = "test") -> str:
        name = _database_name(hint)
        url = postgres_server.create_database(name)
        created.append(name)
        return url

    yield make
    if getattr(postgres_server, "shared", False):  # a launched cluster is thrown away whole
        for name in created:
            postgres_server.drop_database(name)


@pytest.fixture
def database_url(request: pytest.FixtureRequest, database_factory: Callable[..., str]) -> str:
    return database_factory(request.node.originalname)


@pytest.fixture
def topic_name() -> str:
    return f"test-{uuid.uuid4().hex}"
