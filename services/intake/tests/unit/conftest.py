"""Intake in-process on a fresh SQLite file per test: its handlers, units of work and app,
no broker."""

import pytest

from switchboard.servicekit.testing.in_process import InProcessService


@pytest.fixture
async def intake(tmp_path, definition):
    service = await InProcessService.start(definition, tmp_path)
    yield service
    await service.close()
