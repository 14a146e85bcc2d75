"""Bearer JWTs: what verifies, what is a 401 problem (and why), the settings and the CLI."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from typing import Annotated

import httpx
import jwt
import pytest
import typer
from fastapi import APIRouter, Depends
from pydantic import ValidationError
from typer.testing import CliRunner

from switchboard.servicekit.auth import (
    DEV_JWT_SECRET,
    BearerServiceSettings,
    Principal,
    Role,
    TokenVerifier,
    bearer_principal,
)
from switchboard.servicekit.auth.cli import main, token_command
from switchboard.servicekit.http import Problem, create_app

SECRET = "a-test-secret-that-is-long-enough-for-hs256"
VERIFIER = TokenVerifier(SECRET, "switchboard")


def signed(secret: str = SECRET, **changes: object) -> str:
    claims: dict[str, object] = {
        "sub": "greta",
        "role": "coordinator",
        "regions": ["dach"],
        "aud": "switchboard",
        "exp": datetime.now(UTC) + timedelta(minutes=5),
    }
    claims.update(changes)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, secret, "HS256")


def test_a_token_from_issue_is_accepted():
    token = VERIFIER.issue(subject="greta", role=Role.COORDINATOR, regions=["dach", "nordics"])
    assert VERIFIER.principal(token) == Principal(
        "greta", Role.COORDINATOR, frozenset({"dach", "nordics"}), platform_signed=True
    )


def test_regions_default_to_no_region():
    assert VERIFIER.principal(signed(role="admin", regions=None)).regions == frozenset()


@pytest.mark.parametrize(
    ("token", "reason"),
    [
        (signed(exp=datetime.now(UTC) - timedelta(seconds=1)), "expired"),
        (signed(aud="another-audience"), "Audience doesn't match"),
        (signed(aud=None), '"aud"'),
        (signed(secret="another-secret-that-is-long-enough-for-hs256"), "Signature"),
        (signed(role=None), '"role"'),
        (signed(role="emperor"), "role must be one of admin, coordinator, agent"),
        (signed(sub=None), '"sub"'),
        (signed(exp=None), '"exp"'),
        (signed(regions="dach"), "regions must be a list of strings"),
        (signed(regions=["dach", 7]), "regions must be a list of strings"),
        ("not.a.jwt", "invalid bearer token"),
    ],
)
def test_a_bad_token_is_a_401_that_says_why(token, reason):
    with pytest.raises(Problem) as refused:
        VERIFIER.principal(token)
    problem = refused.value
    assert problem.status == 401
    assert reason in str(problem.detail)
    assert problem.headers == {
        "WWW-Authenticate": 'Bearer realm="switchboard", error="invalid_token"'
    }


def test_only_the_configured_algorithm_verifies():
    unsigned = jwt.encode(
        {"sub": "x", "role": "admin", "aud": "switchboard", "exp": 9e9}, None, "none"
    )
    with pytest.raises(Problem, match="alg value is not allowed"):
        VERIFIER.principal(unsigned)


router = APIRouter()
CallerDep = Annotated[Principal, Depends(bearer_principal(lambda request: VERIFIER))]


@router.get("/me")
async def me(caller: CallerDep) -> dict[str, object]:
    return {"sub": caller.subject, "role": caller.role, "regions": sorted(caller.regions)}


async def call(headers: dict[str, str]) -> httpx.Response:
    app = create_app(title="t", version="1", runtime=None, routers=[router])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/me", headers=headers)


async def test_the_dependency_gives_the_caller():
    response = await call({"Authorization": f"Bearer {signed()}"})
    assert response.json() == {"sub": "greta", "role": "coordinator", "regions": ["dach"]}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"]
)
async def test_a_missing_or_malformed_header_is_a_401_problem(authorization):
    response = await call({"Authorization": authorization} if authorization is not None else {})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="switchboard"'
    assert response.json()["detail"] == "a bearer token is required"


async def test_an_invalid_token_is_a_401_problem_with_the_reason():
    response = await call({"Authorization": f"Bearer {signed(aud='elsewhere')}"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "invalid bearer token: Audience doesn't match"


def test_the_dependency_is_a_coroutine_function():
    assert inspect.iscoroutinefunction(bearer_principal(lambda request: VERIFIER))


class Settings(BearerServiceSettings):
    pass


def test_settings_default_to_the_shared_dev_secret_and_audience():
    settings = Settings.load()
    assert settings.jwt_secret.get_secret_value() == DEV_JWT_SECRET
    assert len(DEV_JWT_SECRET) >= 32
    assert settings.jwt_audience == "switchboard"
    assert DEV_JWT_SECRET not in repr(settings)


@pytest.mark.parametrize(
    "secret", [DEV_JWT_SECRET, "dev", "changeme", "short-but-not-a-placeholder", "dev-" + "x" * 40]
)
def test_production_refuses_placeholder_and_short_secrets(secret):
    with pytest.raises(ValidationError, match="jwt_secret"):
        Settings.load(
            environment="production", database_url="postgresql+asyncpg://db/x", jwt_secret=secret
        )


def test_production_accepts_a_real_secret():
    settings = Settings.load(
        environment="production", database_url="postgresql+asyncpg://db/x", jwt_secret=SECRET
    )
    assert settings.token_verifier().principal(signed()).subject == "greta"


def test_the_command_prints_a_token_for_the_environments_secret(monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_JWT_SECRET", SECRET)
    monkeypatch.setenv("SWITCHBOARD_JWT_AUDIENCE", "ops")
    app = typer.Typer()
    app.command()(token_command(BearerServiceSettings.load))
    args = ["--subject", "greta", "--role", "coordinator", "--regions", "dach, nordics"]
    result = CliRunner().invoke(app, [*args, "--ttl", "60"])
    assert result.exit_code == 0, result.output
    caller = TokenVerifier(SECRET, "ops").principal(result.output.strip())
    assert caller == Principal(
        "greta", Role.COORDINATOR, frozenset({"dach", "nordics"}), platform_signed=True
    )


def test_the_module_runs_as_a_command(monkeypatch, capsys):
    monkeypatch.setattr("sys.argv", ["auth", "--subject", "root", "--role", "admin"])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 0
    token = capsys.readouterr().out.strip()
    caller = TokenVerifier(DEV_JWT_SECRET, "switchboard").principal(token)
    assert (caller.subject, caller.role, caller.regions) == ("root", Role.ADMIN, frozenset())
