"""Intake in-process on a fresh SQLite file per test: its handlers, units of work and app,
no broker."""

import httpx
import pytest

from switchboard.intake.entrypoints.app import HTTP_API
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService

from .people_and_adapters import bearer


@pytest.fixture
async def intake(tmp_path, definition):
    service = await InProcessService.start(definition, tmp_path)
    yield service
    await service.close()


@pytest.fixture
async def app(intake):
    """Intake's app over ASGI, no credentials of its own (tests pass a role's headers)."""
    transport = httpx.ASGITransport(app=service_app(intake.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://intake.test") as client:
        yield client


@pytest.fixture
def admin(intake):
    return bearer(intake, "ops", "admin")
