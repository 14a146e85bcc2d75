"""Kafka and PostgreSQL in Docker through testcontainers, from the images built here.

Used when SWITCHBOARD_USE_TESTCONTAINERS=1 (see plugin.py). The images are the ones
deploy/docker/build-images.sh builds with no registry (``make images``): the broker from the
same jars and Kafka version as the private launcher (deploy/kafka/pom.xml), PostgreSQL 15
from Debian's packages; SWITCHBOARD_KAFKA_IMAGE / SWITCHBOARD_POSTGRES_IMAGE name others.

Every container runs on the host's network (the engine runs with no bridge; only loopback
addresses are used), on a free loopback port chosen here, and counts as started only once it
really serves: the broker lists itself in a Metadata response, PostgreSQL accepts a login.
The reaper (Ryuk) is off — its image would come from a registry — so the context managers
remove what they start. A port chosen here survives ``docker stop``/``docker start``, and so
does the container's filesystem: the broker container can be restarted by restart tests,
like the private broker.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from switchboard.servicekit.devinfra import kafka_layout
from switchboard.servicekit.devinfra._process import LOOPBACK, InfraError, free_port
from switchboard.servicekit.devinfra.kafka import LEAN_SETTINGS
from switchboard.servicekit.devinfra.kafka_probe import is_serving
from switchboard.servicekit.devinfra.postgres import MAX_CONNECTIONS, NOT_DURABLE, SUPERUSER

if TYPE_CHECKING:
    from testcontainers.core.container import DockerContainer

ENABLE = "SWITCHBOARD_USE_TESTCONTAINERS"
# The reaper is a container pulled from a registry; nothing here can pull.
os.environ.setdefault("TESTCONTAINERS_RYUK_DISABLED", "true")

KAFKA_DATA = "/var/lib/kafka/data"
STARTUP_SECONDS = 120.0
STOP_GRACE_SECONDS = 60


def kafka_version() -> str:
    """The broker version everything else runs: deploy/kafka/pom.xml's kafka.version."""
    root = kafka_layout.repo_root()
    pom = root / kafka_layout.POM if root else None
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", pom.read_text()) if pom else None
    if found is None:
        raise InfraError("cannot read kafka.version from deploy/kafka/pom.xml")
    return found.group(1)


def kafka_image() -> str:
    return os.environ.get("SWITCHBOARD_KAFKA_IMAGE") or f"switchboard-kafka:{kafka_version()}"


def postgres_image() -> str:
    return os.environ.get("SWITCHBOARD_POSTGRES_IMAGE") or "switchboard-postgres:15"


def wanted() -> bool:
    """Containers are asked for; then a Docker engine must answer (no quiet fallback to
    local processes, which would pass for a container run)."""
    if os.environ.get(ENABLE) != "1":
        return False
    try:
        import docker

        docker.from_env(timeout=5).ping()
    except Exception as error:  # no client, no socket, no daemon
        raise InfraError(
            f"{ENABLE}=1 but no Docker engine answers ({error}): start one "
            "(deploy/docker/engine.sh) or unset it to use local processes"
        ) from error
    return True


def _new_container(image: str) -> DockerContainer:
    from testcontainers.core.config import testcontainers_config
    from testcontainers.core.container import DockerContainer

    testcontainers_config.ryuk_disabled = True  # however the environment was set
    import docker

    try:
        docker.from_env().images.get(image)
    except docker.errors.ImageNotFound:
        raise InfraError(
            f"image {image} is not built here: run `make images` "
            "(deploy/docker/build-images.sh); no registry is reachable to pull it"
        ) from None
    return DockerContainer(image).with_kwargs(network_mode="host")


def _wait_ready(
    container: DockerContainer, ready: Callable[[], bool], what: str, timeout: float
) -> None:
    """Poll ``ready`` until true; fail at once, with the logs, if the container exits."""
    deadline = time.monotonic() + timeout
    wrapped = container.get_wrapped_container()
    while True:
        if ready():
            return
        wrapped.reload()
        if wrapped.status not in ("created", "running"):
            raise InfraError(f"{what} exited ({wrapped.status}):\n{_logs(container)}")
        if time.monotonic() > deadline:
            raise InfraError(f"{what} not ready after {timeout:.0f} s:\n{_logs(container)}")
        time.sleep(0.25)


def _logs(container: DockerContainer, lines: int = 40) -> str:
    logs = container.get_wrapped_container().logs(tail=lines)
    return bytes(logs).decode(errors="replace")


def _kafka_variable(key: str) -> str:
    """A server.properties key as the image's run.sh reads it (apache/kafka's convention:
    "_" spells ".", "__" spells "-", "___" spells "_")."""
    name = "KAFKA_" + key.replace("_", "___").replace("-", "__").replace(".", "_").upper()
    spelt = name.removeprefix("KAFKA_").lower()
    spelt = spelt.replace("___", "@").replace("__", "-").replace("_", ".").replace("@", "_")
    if spelt != key:
        raise InfraError(f"{key} cannot be spelt as a KAFKA_ variable")
    return name


class ContainerKafka:
    """One KRaft broker+controller container on 127.0.0.1:<port>, configured as the private
    broker is (kafka_layout.server_properties + LEAN_SETTINGS). ``stop()``/``start()`` stop
    and start the same container: same ports, same data."""

    restartable = True

    def __init__(self, image: str | None = None, partitions: int = 3) -> None:
        self.image = image or kafka_image()
        self.port = free_port()
        self.controller_port = free_port()
        while self.controller_port == self.port:
            self.controller_port = free_port()
        base = kafka_layout.server_properties(
            log_dir=Path(KAFKA_DATA),
            port=self.port,
            controller_port=self.controller_port,
            partitions=partitions,
        )
        settings = dict(line.split("=", 1) for line in base.splitlines() if line)
        settings |= LEAN_SETTINGS
        self.settings = settings
        self.startup_seconds: float | None = None
        self._container: DockerContainer | None = None

    @property
    def bootstrap_servers(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    @property
    def container(self) -> DockerContainer:
        if self._container is None:
            raise InfraError("the Kafka container was never started")
        return self._container

    def start(self, timeout: float = STARTUP_SECONDS) -> None:
        began = time.monotonic()
        if self._container is None:
            container = _new_container(self.image).with_env(
                "CLUSTER_ID", kafka_layout.new_cluster_id()
            )
            for key, value in self.settings.items():
                container.with_env(_kafka_variable(key), value)
            self._container = container
            container.start()
        else:
            self.container.get_wrapped_container().start()
        _wait_ready(
            self.container,
            lambda: is_serving(LOOPBACK, self.port),
            f"Kafka container {self.image} on {self.bootstrap_servers}",
            timeout,
        )
        self.startup_seconds = time.monotonic() - began

    def stop(self) -> None:
        """Stop the broker (SIGTERM, a clean shutdown); the container stays for ``start()``."""
        self.container.get_wrapped_container().stop(timeout=STOP_GRACE_SECONDS)

    def remove(self) -> None:
        if self._container is not None:
            self._container.stop()  # testcontainers' stop removes the container
            self._container = None


class ContainerPostgres:
    """One PostgreSQL container on 127.0.0.1:<port>, set up as the private cluster is
    (max_connections, not durable: thrown away after the session)."""

    def __init__(self, image: str | None = None) -> None:
        self.image = image or postgres_image()
        self.port = free_port()
        self.password = secrets.token_hex(16)
        self.startup_seconds: float | None = None
        self._container: DockerContainer | None = None

    @property
    def server_url(self) -> str:
        return f"postgresql://{SUPERUSER}:{self.password}@{LOOPBACK}:{self.port}/postgres"

    def start(self, timeout: float = STARTUP_SECONDS) -> None:
        began = time.monotonic()
        settings = [f"max_connections = {MAX_CONNECTIONS}"]
        settings += [setting.replace("=", " = ") for setting in NOT_DURABLE]
        # Run once by the image's entrypoint after initdb (the postgres image's convention).
        configure = 'cat >>"$PGDATA/postgresql.conf" <<EOF\n' + "\n".join(settings) + "\nEOF\n"
        container = (
            _new_container(self.image)
            .with_env("POSTGRES_PASSWORD", self.password)
            .with_env("POSTGRES_PORT", str(self.port))
            .with_env("POSTGRES_LISTEN", LOOPBACK)
            .with_copy_into_container(
                configure.encode(), "/docker-entrypoint-initdb.d/10-switchboard-tests.sh"
            )
        )
        self._container = container
        container.start()
        _wait_ready(
            container,
            self._accepts_connections,
            f"PostgreSQL container {self.image} on {LOOPBACK}:{self.port}",
            timeout,
        )
        self.startup_seconds = time.monotonic() - began

    def _accepts_connections(self) -> bool:
        async def login() -> str:
            import asyncpg

            connection = await asyncpg.connect(self.server_url, timeout=2)
            try:
                return str(await connection.fetchval("SHOW max_connections"))
            finally:
                await connection.close()

        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            try:
                max_connections = pool.submit(asyncio.run, login()).result()
            except Exception:  # refused, "the database system is starting up": not yet
                return False
        if max_connections != str(MAX_CONNECTIONS):
            raise InfraError(
                f"PostgreSQL container runs with max_connections={max_connections}: "
                "the settings script in /docker-entrypoint-initdb.d did not run"
            )
        return True

    def remove(self) -> None:
        if self._container is not None:
            self._container.stop()
            self._container = None


@contextmanager
def kafka_broker() -> Iterator[ContainerKafka]:
    broker = ContainerKafka()
    try:
        broker.start()
        yield broker
    finally:
        broker.remove()


@contextmanager
def kafka_bootstrap() -> Iterator[str]:
    with kafka_broker() as broker:
        yield broker.bootstrap_servers


@contextmanager
def postgres_server_url() -> Iterator[str]:
    server = ContainerPostgres()
    try:
        server.start()
        yield server.server_url
    finally:
        server.remove()
