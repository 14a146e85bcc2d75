"""A real PostgreSQL server from the machine's binaries as a local process, and the
switchboard-postgres command that runs one for the local platform."""

# Starting local server binaries with arguments we build is this module's purpose.
# ruff: noqa: S603

from __future__ import annotations

import argparse
import atexit
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from switchboard.servicekit.devinfra._process import (
    LOOPBACK,
    InfraError,
    StartedInWith,
    free_port,
    kill_group,
    serve_from_cli,
    terminate,
    wait_until,
)
from switchboard.servicekit.devinfra.postgres_binaries import find_bindir, hand_over, server_user

SUPERUSER = "postgres"
# Tests open many pools in parallel (one engine per service and per replica).
MAX_CONNECTIONS = 200
# Durability only costs time when the cluster is thrown away after the test session.
NOT_DURABLE = ("fsync=off", "synchronous_commit=off", "full_page_writes=off")

_CREATE_IF_MISSING = (
    "SELECT format('CREATE DATABASE %I', :'name') "
    "WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'name') \\gexec\n"
)
_DROP = "SELECT format('DROP DATABASE IF EXISTS %I WITH (FORCE)', :'name') \\gexec\n"


class PostgresCluster(StartedInWith):
    """One cluster in ``data_dir`` (kept across runs) served on a fixed loopback port."""

    def __init__(self, data_dir: Path, port: int | None = None, *, durable: bool = True) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.port = port or free_port()
        self.durable = durable
        self.bindir = find_bindir()
        self.startup_seconds: float | None = None
        self._user = server_user()
        self._process: subprocess.Popen[bytes] | None = None
        self._exit_hook_registered = False

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def log_file(self) -> Path:
        return self.data_dir / "postgres.log"

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://{SUPERUSER}@{LOOPBACK}:{self.port}/{database}"

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 60.0) -> None:
        if self.running():
            return
        began = time.monotonic()
        (self.data_dir / "sockets").mkdir(parents=True, exist_ok=True)
        self.log_file.touch()
        hand_over(self.data_dir, self._user)
        self._init_once()
        settings = [
            f"listen_addresses={LOOPBACK}",
            f"max_connections={MAX_CONNECTIONS}",
            f"unix_socket_directories={self.data_dir / 'sockets'}",
        ]
        if not self.durable:
            settings.extend(NOT_DURABLE)
        command = [str(self.bindir / "postgres"), "-D", str(self.pgdata), "-p", str(self.port)]
        for setting in settings:
            command += ["-c", setting]
        with self.log_file.open("ab") as log:
            self._process = subprocess.Popen(
                command,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
                **self._as_server_user(),
            )
        if not self._exit_hook_registered:
            atexit.register(self.stop)
            self._exit_hook_registered = True
        try:
            wait_until(
                self._accepting,
                process=self._process,
                timeout=timeout,
                what=f"PostgreSQL on {LOOPBACK}:{self.port}",
                logs=[self.log_file],
            )
        except InfraError:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began

    def kill(self) -> None:
        """Crash the server (kill -9 of the postmaster and its backends), for fault tests;
        ``start()`` brings it back through crash recovery."""
        if self._process is not None:
            kill_group(self._process)
            self._process = None

    def stop(self) -> None:
        if self._process is not None:
            # SIGINT is PostgreSQL's "fast" shutdown; SIGTERM would wait for every client.
            terminate(self._process, first=signal.SIGINT, grace=30.0)
            self._process = None

    def create_database(self, name: str) -> str:
        """Create ``name`` unless it exists; returns its asyncpg URL."""
        self._psql(_CREATE_IF_MISSING, name)
        return self.url(name)

    def drop_database(self, name: str) -> None:
        self._psql(_DROP, name)

    def _as_server_user(self) -> dict[str, Any]:
        if self._user is None:
            return {}
        # cwd "/": initdb fails when it cannot read the directory it was started from.
        return {
            "user": self._user.pw_uid,
            "group": self._user.pw_gid,
            "extra_groups": [],
            "cwd": "/",
        }

    def _init_once(self) -> None:
        if (self.pgdata / "PG_VERSION").is_file():
            return
        command = [
            str(self.bindir / "initdb"),
            "-D",
            str(self.pgdata),
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
        ]
        if not self.durable:
            command.append("--no-sync")
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, **self._as_server_user()
        )
        if result.returncode != 0:
            raise InfraError(f"initdb in {self.pgdata} failed:\n{result.stdout}{result.stderr}")

    def _accepting(self) -> bool:
        probe = [str(self.bindir / "pg_isready"), "-q", "-h", LOOPBACK, "-p", str(self.port)]
        return subprocess.run(probe, check=False).returncode == 0

    def _psql(self, script: str, name: str) -> None:
        command = [
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-h",
            LOOPBACK,
            "-p",
            str(self.port),
            "-U",
            SUPERUSER,
            "-d",
            "postgres",
            "-v",
            "ON_ERROR_STOP=1",
            "-v",
            f"name={name}",
        ]
        result = subprocess.run(command, input=script, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise InfraError(f"psql on {LOOPBACK}:{self.port} failed: {result.stderr.strip()}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="switchboard-postgres",
        description="Run a PostgreSQL cluster on loopback until SIGINT/SIGTERM.",
    )
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--port", type=int, default=None)
    parser.add_argument(
        "--database",
        action="append",
        default=[],
        help="create this database if missing (repeatable)",
    )
    parser.add_argument("--not-durable", action="store_true", help="fsync=off, for tests")
    args = parser.parse_args(argv)
    try:
        cluster = PostgresCluster(args.data_dir, args.port, durable=not args.not_durable)
        cluster.start()
        for name in args.database:
            cluster.create_database(name)
    except InfraError as error:
        print(f"switchboard-postgres: {error}", file=sys.stderr)
        return 1
    return serve_from_cli("switchboard-postgres", cluster, cluster.url(driver="postgresql"))


if __name__ == "__main__":
    sys.exit(main())
