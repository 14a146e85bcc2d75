"""Escalation on the real stack: PostgreSQL (and Kafka where a test needs it) from
servicekit's test plugin."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from ..conftest import Stack


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    """Escalation's handlers in-process on a fresh PostgreSQL database."""
    async with await Stack.on(database_url) as running:
        yield running
