"""A sick dependency is told from the work's own fault: the first is retried and answered
503 with Retry-After, the second is the record's or the request's."""

from __future__ import annotations

import itertools
import sqlite3

import asyncpg
import httpx
import pytest
from aiokafka.errors import KafkaConnectionError, KafkaTimeoutError, MessageSizeTooLargeError
from fastapi import APIRouter
from sqlalchemy import exc as sa_exc

from switchboard.servicekit.faults import (
    DependencyUnavailable,
    connection_lost,
    unavailable_dependency,
)
from switchboard.servicekit.http import create_app
from switchboard.servicekit.stalls import Backoff, StallWatch


def _wrapped(orig: BaseException) -> sa_exc.DBAPIError:
    """How SQLAlchemy hands a driver's error to the caller."""
    return sa_exc.OperationalError("SELECT 1", {}, orig)


def _asyncpg(kind: type[BaseException], message: str = "x") -> BaseException:
    return kind(message)


@pytest.mark.parametrize(
    ("error", "dependency"),
    [
        (ConnectionRefusedError(111, "Connect call failed"), "database"),
        (ConnectionResetError(), "database"),
        (TimeoutError(), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.CannotConnectNowError)), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.TooManyConnectionsError)), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.SerializationError)), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.DeadlockDetectedError)), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.AdminShutdownError)), "database"),
        (_wrapped(_asyncpg(asyncpg.exceptions.InterfaceError, "connection is closed")), "database"),
        (_wrapped(sqlite3.OperationalError("database is locked")), "database"),
        (sa_exc.TimeoutError("QueuePool limit reached"), "database"),
        (KafkaConnectionError(), "broker"),
        (KafkaTimeoutError(), "broker"),
        (httpx.ConnectError("refused"), "dependency"),
        (DependencyUnavailable("search index"), "search index"),
    ],
)
def test_unreachable_or_busy_dependencies_are_transient(error, dependency):
    assert unavailable_dependency(error) == dependency


def test_a_cause_deep_in_the_chain_counts():
    outer = RuntimeError("lookup failed")
    outer.__cause__ = ConnectionRefusedError(111, "refused")
    assert unavailable_dependency(outer) == "database"


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad field"),
        KeyError("case"),
        FileNotFoundError(2, "missing"),
        MessageSizeTooLargeError(),
        sa_exc.IntegrityError("INSERT", {}, _asyncpg(asyncpg.exceptions.UniqueViolationError)),
        _wrapped(sqlite3.OperationalError("no such table: cases")),
        _wrapped(_asyncpg(asyncpg.exceptions.InterfaceError, "another operation is in progress")),
    ],
)
def test_the_works_own_faults_are_not_transient(error):
    assert unavailable_dependency(error) is None


def test_a_lost_connection_is_told_from_a_deadlock_on_a_healthy_one():
    assert connection_lost(_wrapped(_asyncpg(asyncpg.exceptions.AdminShutdownError)))
    assert connection_lost(ConnectionResetError())
    assert not connection_lost(_wrapped(_asyncpg(asyncpg.exceptions.DeadlockDetectedError)))


def test_backoff_grows_to_its_cap_and_starts_over_after_a_success():
    backoff = Backoff(first=0.1, cap=1.0)
    delays = [backoff.next() for _ in range(8)]
    assert delays[0] <= 0.1
    assert all(later >= earlier * 0.8 for earlier, later in itertools.pairwise(delays))
    assert max(delays) <= 1.0
    assert delays[-1] >= 0.8
    backoff.reset()
    assert backoff.next() <= 0.1


def test_a_stall_names_its_dependency_and_clears_on_recovery():
    watch = StallWatch("consumer g")
    assert watch.stalled(KafkaConnectionError()) == "broker"
    assert watch.current is not None
    assert "broker (KafkaConnectionError)" in watch.current.describe()
    watch.recovered()
    assert watch.current is None


router = APIRouter()


@router.get("/down")
async def down() -> None:
    raise _wrapped(ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)"))


@router.get("/broker")
async def broker() -> None:
    raise KafkaConnectionError("no broker")


@router.get("/bug")
async def bug() -> None:
    raise sa_exc.IntegrityError("INSERT", {}, ValueError("duplicate key"))


def _client() -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_an_unreachable_dependency_is_a_503_problem_with_retry_after():
    async with _client() as client:
        for path, dependency in (("/down", "database"), ("/broker", "broker")):
            response = await client.get(path)
            assert response.status_code == 503
            assert response.headers["content-type"] == "application/problem+json"
            assert int(response.headers["retry-after"]) > 0
            body = response.json()
            assert body["status"] == 503
            assert body["dependency"] == dependency
            assert "127.0.0.1" not in response.text, "no driver message reaches the client"


async def test_an_error_of_the_code_itself_stays_a_500():
    async with _client() as client:
        response = await client.get("/bug")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
