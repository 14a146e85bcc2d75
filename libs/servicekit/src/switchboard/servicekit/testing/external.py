"""Kafka and PostgreSQL that the test session did not start: an engineer's own servers or
containers. Same face as the launched ones, minus what an outsider may not do."""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Coroutine
from typing import Any, TypeVar

import pytest
from sqlalchemy.engine import URL, make_url

T = TypeVar("T")


class ExternalKafka:
    """A broker we may use but not stop: restart tests skip themselves on it."""

    restartable = False

    def __init__(self, bootstrap_servers: str) -> None:
        self.bootstrap_servers = bootstrap_servers

    def start(self) -> None:
        pytest.skip("the Kafka broker is external: it cannot be restarted by a test")

    def stop(self) -> None:
        pytest.skip("the Kafka broker is external: it cannot be stopped by a test")


def _run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion from sync code, even inside a running event loop."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class ExternalPostgres:
    """A server reached through a server-level URL (any database on it, usually postgres).

    Its databases outlive the session, so the fixtures drop the ones they create.
    """

    shared = True

    def __init__(self, server_url: str) -> None:
        self._server: URL = make_url(server_url).set(drivername="postgresql")

    def url(self, database: str = "postgres", driver: str = "postgresql+asyncpg") -> str:
        return self._server.set(drivername=driver, database=database).render_as_string(
            hide_password=False
        )

    def create_database(self, name: str) -> str:
        _run(self._execute(name, create=True))
        return self.url(name)

    def drop_database(self, name: str) -> None:
        _run(self._execute(name, create=False))

    async def _execute(self, name: str, *, create: bool) -> None:
        import asyncpg  # only sessions that use an external server pay for the import

        quoted = '"' + name.replace('"', '""') + '"'
        connection = await asyncpg.connect(
            self.url(self._server.database or "postgres", driver="postgresql")
        )
        try:
            exists = await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if create and not exists:
                await connection.execute(f"CREATE DATABASE {quoted}")
            elif not create and exists:
                await connection.execute(f"DROP DATABASE {quoted} WITH (FORCE)")
        finally:
            await connection.close()
