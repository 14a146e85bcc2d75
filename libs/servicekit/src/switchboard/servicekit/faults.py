"""Telling a sick dependency from a bad record or a bad request.

A failure is *transient* when the database, the broker or another service could not be
reached or asked the caller to try again later: the same work will succeed once the
dependency is back, so it is retried for as long as it takes (never dead-lettered, never
answered with a 500). Anything else is the work's own fault.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator

import asyncpg
import httpx
from aiokafka.errors import KafkaError, KafkaTimeoutError
from sqlalchemy import exc as sa_exc

DATABASE = "database"
BROKER = "broker"
OTHER = "dependency"

TRANSIENT_SQLSTATE_PREFIXES = (
    "08",  # connection exception
    "40",  # transaction rollback: serialization failure, deadlock
    "53",  # insufficient resources: too many connections, out of memory, disk full
    "57P",  # operator intervention: shutdown, crash, "the database system is starting up"
    "55P03",  # lock not available
    "57014",  # query cancelled (a statement timeout)
    "58",  # system error (I/O)
)
TRANSIENT_SQLITE_MESSAGES = ("database is locked", "database table is locked", "disk i/o error")
TRANSIENT_ERRNOS = {
    errno.ECONNREFUSED,
    errno.ECONNRESET,
    errno.ECONNABORTED,
    errno.EHOSTUNREACH,
    errno.ENETUNREACH,
    errno.ETIMEDOUT,
    errno.EPIPE,
    errno.EAGAIN,
}


class DependencyUnavailable(Exception):
    """Raise where code finds a dependency unusable in a way no library error tells."""

    def __init__(self, dependency: str, detail: str = "") -> None:
        super().__init__(f"{dependency} unavailable" + (f": {detail}" if detail else ""))
        self.dependency = dependency


DEPENDENCY_ERROR_TYPES: tuple[type[Exception], ...] = (
    DependencyUnavailable,
    OSError,
    sa_exc.SQLAlchemyError,
    asyncpg.exceptions.PostgresError,
    asyncpg.exceptions.InterfaceError,
    sqlite3.Error,
    KafkaError,
    httpx.TransportError,
)
"""Every kind of error a dependency may raise (whether it is transient is decided per
error by ``unavailable_dependency``)."""


def _chain(error: BaseException) -> Iterator[BaseException]:
    """The error, what it wraps (a DBAPI error's ``orig``) and what caused it."""
    seen: set[int] = set()
    stack: list[BaseException] = [error]
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        for linked in (getattr(current, "orig", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException):
                stack.append(linked)


def unavailable_dependency(error: BaseException) -> str | None:
    """Which dependency ``error`` says is unreachable or busy (``database``, ``broker``,
    ``dependency``), or None when the failure is the work's own."""
    for link in _chain(error):
        found = _classify(link)
        if found is not None:
            return found
    return None


def is_transient(error: BaseException) -> bool:
    return unavailable_dependency(error) is not None


CONNECTION_LOST_SQLSTATE_PREFIXES = ("08", "57P")


def connection_lost(error: BaseException) -> bool:
    """Whether the database connection that raised ``error`` is gone (not merely a
    deadlock or a serialization failure on a healthy one)."""
    for link in _chain(error):
        sqlstate = getattr(link, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate.startswith(CONNECTION_LOST_SQLSTATE_PREFIXES):
            return True
        if _is_asyncpg_connection_error(link):
            return True
        if isinstance(link, ConnectionError | TimeoutError):
            return True
        if isinstance(link, OSError) and link.errno in TRANSIENT_ERRNOS:
            return True
    return False


def _classify(error: BaseException) -> str | None:
    if isinstance(error, DependencyUnavailable):
        return error.dependency
    if isinstance(error, KafkaError):
        return BROKER if error.retriable or isinstance(error, KafkaTimeoutError) else None
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return DATABASE
    if isinstance(error, sa_exc.DisconnectionError | sa_exc.TimeoutError):
        return DATABASE  # a dead pooled connection, or the pool exhausted
    sqlstate = getattr(error, "sqlstate", None)
    if isinstance(sqlstate, str) and sqlstate.startswith(TRANSIENT_SQLSTATE_PREFIXES):
        return DATABASE
    if isinstance(error, sqlite3.OperationalError):
        message = str(error).lower()
        return DATABASE if any(text in message for text in TRANSIENT_SQLITE_MESSAGES) else None
    if _is_asyncpg_connection_error(error):
        return DATABASE
    if isinstance(error, httpx.TransportError):
        return OTHER
    if isinstance(error, ConnectionError | TimeoutError):
        return _socket_dependency(error)
    if isinstance(error, OSError) and error.errno in TRANSIENT_ERRNOS:
        return _socket_dependency(error)
    return None


def _socket_dependency(error: OSError) -> str:
    """Plain socket errors come from the database driver (the broker's client wraps its own
    in KafkaConnectionError); the caller's context may know better."""
    return DATABASE


def _is_asyncpg_connection_error(error: BaseException) -> bool:
    if isinstance(error, asyncpg.exceptions.PostgresConnectionError):
        return True
    return isinstance(error, asyncpg.exceptions.InterfaceError) and "closed" in str(error)
