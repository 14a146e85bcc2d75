"""The broker and the database a benchmark runs on: private ones by default (started here,
removed at the end), or the servers named by ``KAFKA_BOOTSTRAP_SERVERS`` and
``BENCH_POSTGRES_URL`` (a server-level PostgreSQL URL).

Shared by the benchmarks (each runs as a script, so this directory is on ``sys.path``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster


@dataclass
class Infra:
    workdir: Path
    bootstrap: str
    broker: KafkaBroker | None
    cluster: PostgresCluster | None
    server_url: str | None

    def database(self, hint: str) -> str:
        """A new database (asyncpg URL) on the benchmark's server."""
        name = f"{hint}_{uuid.uuid4().hex[:8]}"
        if self.cluster is not None:
            return self.cluster.create_database(name)
        assert self.server_url is not None
        base = self.server_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
        return f"{base}/{name}"

    @property
    def postgres_port(self) -> int | None:
        return self.cluster.port if self.cluster is not None else None


@contextmanager
def infrastructure(
    *, kafka: bool = True, postgres: bool = True, prefix: str = "bench-"
) -> Iterator[Infra]:
    workdir = Path(tempfile.mkdtemp(prefix=prefix))
    workdir.chmod(0o755)  # PostgreSQL runs as its own user and must reach its data dir
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, workdir, True)
        bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
        broker = None
        if kafka and not bootstrap:
            broker = stack.enter_context(KafkaBroker(workdir / "kafka"))
            bootstrap = broker.bootstrap_servers
        server_url = os.environ.get("BENCH_POSTGRES_URL")
        cluster = None
        if postgres and not server_url:
            cluster = stack.enter_context(PostgresCluster(workdir / "postgres"))
        yield Infra(workdir, bootstrap, broker, cluster, server_url)
