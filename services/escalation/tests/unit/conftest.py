from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ..conftest import Stack


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[Stack]:
    """Escalation's handlers in-process on a fresh SQLite file."""
    async with await Stack.on_sqlite(tmp_path) as running:
        yield running
