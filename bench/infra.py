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
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from switchboard.launcher.processes import LOOPBACK, ServiceProcess
from switchboard.servicekit.devinfra import free_port
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

    def service(
        self,
        name: str,
        settings: Mapping[str, str],
        *,
        log: str | None = None,
        inherit: bool = False,
    ) -> ServiceProcess:
        """``switchboard-<name>`` (not started) on the benchmark's broker, configured by
        ``settings`` (keys without the ``SWITCHBOARD_<NAME>_`` prefix), on loopback at a free
        port unless they name ``HTTP_PORT``, logging to ``log`` (``<name>.log``) in the
        workdir. No ``SWITCHBOARD_`` variable of this environment reaches it, unless
        ``inherit``: then its own ``SWITCHBOARD_<NAME>_`` ones do (for a benchmark that loads
        the service's settings from this environment too and must agree with the server)."""
        prefix = f"SWITCHBOARD_{name.upper()}_"
        env = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        if inherit:
            env |= {k: v for k, v in os.environ.items() if k.startswith(prefix)}
        chosen = {"HTTP_HOST": LOOPBACK, "HTTP_PORT": str(free_port())} | dict(settings)
        env |= {prefix + key: value for key, value in chosen.items()}
        env |= {"KAFKA_BOOTSTRAP_SERVERS": self.bootstrap, "PYTHONUNBUFFERED": "1"}
        port = int(chosen["HTTP_PORT"])
        return ServiceProcess(name, port, env, self.workdir / (log or f"{name}.log"))


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
