"""Where each service keeps its data: a PostgreSQL database per service (on a server the
user configured, or on a private cluster in the data directory when the machine has
PostgreSQL's binaries), else one SQLite file per service, the services' embedded default."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from switchboard.servicekit.devinfra import InfraError
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.devinfra.postgres_binaries import find_bindir


class DatabaseKind(StrEnum):
    AUTO = "auto"
    POSTGRES = "postgres"
    SQLITE = "sqlite"


def database_name(service: str) -> str:
    return f"switchboard_{service}"


def postgres_binaries_installed() -> bool:
    try:
        find_bindir()
    except InfraError:
        return False
    return True


def sqlite_urls(data_dir: Path, services: Iterable[str]) -> dict[str, str]:
    folder = data_dir / "sqlite"
    folder.mkdir(parents=True, exist_ok=True)
    return {name: f"sqlite+aiosqlite:///{folder / f'{name}.db'}" for name in services}


def cluster_urls(cluster: PostgresCluster, services: Iterable[str]) -> dict[str, str]:
    return {name: cluster.create_database(database_name(name)) for name in services}


def server_urls(server_url: str, services: Iterable[str]) -> dict[str, str]:
    """One database per service on a server given as ``postgresql://user:pw@host:port/db``,
    created when missing; the services get asyncpg URLs to them."""
    parts = urlsplit(server_url)
    if parts.scheme not in {"postgresql", "postgres", "postgresql+asyncpg"}:
        raise ValueError(f"not a PostgreSQL URL: {server_url!r} (postgresql://user@host:port/db)")
    plain = urlunsplit(parts._replace(scheme="postgresql"))
    names = [database_name(name) for name in services]
    asyncio.run(_create_missing(plain, names))
    return {
        name: urlunsplit(parts._replace(scheme="postgresql+asyncpg", path=f"/{database}"))
        for name, database in zip(services, names, strict=True)
    }


async def _create_missing(server_url: str, names: list[str]) -> None:
    connection = await asyncpg.connect(server_url)
    try:
        existing = {
            row["datname"] for row in await connection.fetch("SELECT datname FROM pg_database")
        }
        for name in names:
            if name not in existing:
                await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()


@dataclass(frozen=True)
class DatabaseChoice:
    kind: DatabaseKind
    why: str


def choose(kind: DatabaseKind, *, server_url: str | None) -> DatabaseChoice:
    """``auto``: the configured server, else a private cluster if the binaries are there,
    else SQLite."""
    if kind is DatabaseKind.SQLITE:
        return DatabaseChoice(DatabaseKind.SQLITE, "asked for")
    if server_url:
        return DatabaseChoice(DatabaseKind.POSTGRES, "the configured server")
    if postgres_binaries_installed():
        return DatabaseChoice(DatabaseKind.POSTGRES, "a private cluster in the data directory")
    if kind is DatabaseKind.POSTGRES:
        raise InfraError(
            "--database postgres needs SWITCHBOARD_POSTGRES_URL or PostgreSQL's server binaries "
            "(apt-get install -y postgresql)"
        )
    return DatabaseChoice(DatabaseKind.SQLITE, "no PostgreSQL binaries on this machine")
