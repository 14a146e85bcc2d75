"""CORS: off by default; when origins are set, exactly those get the headers."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter
from pydantic import ValidationError
from pydantic_settings import SettingsConfigDict

from switchboard.servicekit.http import create_app
from switchboard.servicekit.settings import ServiceSettings

CONSOLE = "http://127.0.0.1:8003"


class ExampleSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SWITCHBOARD_EXAMPLE_", extra="ignore")


router = APIRouter()


@router.get("/v1/things")
async def list_things() -> list[str]:
    return ["a"]


def _client(origins: tuple[str, ...]) -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router], cors_origins=origins)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


def _preflight(origin: str) -> dict[str, str]:
    return {
        "Origin": origin,
        "Access-Control-Request-Method": "GET",
        "Access-Control-Request-Headers": "authorization",
    }


async def test_preflight_from_an_allowed_origin_gets_the_headers():
    async with _client((CONSOLE,)) as client:
        response = await client.options("/v1/things", headers=_preflight(CONSOLE))
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == CONSOLE
    assert "GET" in response.headers["access-control-allow-methods"]
    assert "DELETE" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-credentials" not in response.headers


async def test_preflight_from_another_origin_gets_none():
    async with _client((CONSOLE,)) as client:
        response = await client.options("/v1/things", headers=_preflight("http://127.0.0.1:9999"))
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers


async def test_simple_request_from_an_allowed_origin_is_marked():
    async with _client((CONSOLE,)) as client:
        allowed = await client.get("/v1/things", headers={"Origin": CONSOLE})
        other = await client.get("/v1/things", headers={"Origin": "http://127.0.0.1:9999"})
    assert allowed.headers["access-control-allow-origin"] == CONSOLE
    assert "access-control-allow-origin" not in other.headers


async def test_no_origins_means_no_cors_headers():
    async with _client(()) as client:
        response = await client.options("/v1/things", headers=_preflight(CONSOLE))
    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize(
    "text",
    [
        "http://127.0.0.1:8003,http://localhost:8003",
        " http://127.0.0.1:8003 , http://localhost:8003 ,",
        '["http://127.0.0.1:8003", "http://localhost:8003"]',
    ],
)
def test_origins_from_the_environment_comma_separated_or_json(
    monkeypatch: pytest.MonkeyPatch, text: str
):
    monkeypatch.setenv("SWITCHBOARD_EXAMPLE_CORS_ORIGINS", text)
    settings = ExampleSettings.load()
    assert settings.cors_origins == ("http://127.0.0.1:8003", "http://localhost:8003")


def test_no_origins_by_default(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("SWITCHBOARD_EXAMPLE_CORS_ORIGINS", raising=False)
    assert ExampleSettings.load().cors_origins == ()


def test_wildcard_is_refused_in_production():
    production = {"environment": "production", "database_url": "postgresql+asyncpg://h/db"}
    with pytest.raises(ValidationError, match="cors_origins may not be '\\*' in production"):
        ExampleSettings.load(cors_origins="*", **production)
    assert ExampleSettings.load(cors_origins="*").cors_origins == ("*",)
    assert ExampleSettings.load(cors_origins=CONSOLE, **production).cors_origins == (CONSOLE,)


@pytest.mark.parametrize(
    "origin", ["127.0.0.1:8003", "http://127.0.0.1:8003/", "http://127.0.0.1:8003/console"]
)
def test_an_origin_with_a_path_or_no_scheme_is_refused(origin: str):
    with pytest.raises(ValidationError, match="scheme://host"):
        ExampleSettings.load(cors_origins=origin)
