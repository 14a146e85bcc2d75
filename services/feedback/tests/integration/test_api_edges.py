"""Bad input gets a clear 4xx problem, never a 5xx."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from switchboard.feedback.domain.tokens import sign_survey_link

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


def is_problem(response, status: int) -> bool:
    return (
        response.status_code == status
        and response.headers["content-type"] == "application/problem+json"
        and response.json()["status"] == status
    )


async def test_survey_links_that_do_not_verify_are_not_found(world):
    forged = sign_survey_link(
        survey_id="s-1", expires_at=datetime.now(UTC) + timedelta(days=1), secret=b"x" * 32
    )
    for token in ("garbage", forged, "a" * 600):
        assert is_problem(await world.client.get(f"/surveys/{token}"), 404)
        assert is_problem(await world.client.post(f"/surveys/{token}", json={"csat": 5}), 404)


async def test_a_signed_link_to_an_unknown_survey_is_not_found(world):
    token = sign_survey_link(
        survey_id="missing",
        expires_at=datetime.now(UTC) + timedelta(days=1),
        secret=world.settings.link_secret_bytes[0],
    )
    assert is_problem(await world.client.post(f"/surveys/{token}", json={"csat": 5}), 404)


async def test_an_expired_link_is_gone(world):
    token = sign_survey_link(
        survey_id="s-1",
        expires_at=datetime.now(UTC) - timedelta(seconds=1),
        secret=world.settings.link_secret_bytes[0],
    )
    assert is_problem(await world.client.get(f"/surveys/{token}"), 410)


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"region": "nordics", "agent": "a1", "channel": "chat"}, 422),
        ({"region": "nordics", "from": "2026-05-01", "to": "2026-04-01"}, 422),
        ({"region": "nordics", "period": "day", "from": "2020-01-01", "to": "2026-01-01"}, 422),
        ({"region": "Nordics!"}, 422),
        ({"region": "nordics", "period": "year"}, 422),
        ({"region": "nordics", "from": "yesterday"}, 422),
        ({"region": "nordics", "channel": "fax"}, 422),
        ({"region": "nordics", "from": "9999-12-01", "to": "9999-12-31"}, 422),
        ({"region": "nordics", "period": "week", "from": "0001-01-01"}, 422),
        ({"region": "nordics", "unknown": "1"}, 422),
        ({"region": "nordics", "agent": "a\x00"}, 422),  # PostgreSQL stores no NUL
    ],
)
async def test_bad_kpi_queries_are_refused(world, params, status):
    assert is_problem(
        await world.client.get("/kpis", params=params, headers=world.bearer()), status
    )


async def test_kpis_need_a_valid_bearer_token_covering_the_region(world):
    assert is_problem(await world.client.get("/kpis", params={"region": "nordics"}), 401)
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert is_problem(
        await world.client.get("/kpis", params={"region": "nordics"}, headers=bad), 401
    )
    coordinator = world.bearer(role="coordinator", regions=["dach"])
    denied = await world.client.get("/kpis", params={"region": "nordics"}, headers=coordinator)
    assert is_problem(denied, 403)
    everyone = await world.client.get("/kpis", headers=coordinator)
    assert is_problem(everyone, 403)
    allowed = await world.client.get("/kpis", params={"region": "dach"}, headers=coordinator)
    assert allowed.status_code == 200
    agent = world.bearer(role="agent", regions=["dach"], sub="a7")
    own = await world.client.get("/kpis", params={"region": "dach", "agent": "a7"}, headers=agent)
    other = await world.client.get("/kpis", params={"region": "dach", "agent": "a8"}, headers=agent)
    assert own.status_code == 200
    assert is_problem(other, 403)


async def test_guessing_survey_links_from_one_address_is_slowed_down(world):
    limit = int(world.settings.survey_rate_limit.split("/")[0])
    statuses = [(await world.client.get(f"/surveys/guess-{n}")).status_code for n in range(limit)]
    assert set(statuses) == {404}
    refused = await world.client.get("/surveys/guess-again")
    assert is_problem(refused, 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert (await world.client.get("/kpis")).status_code != 429, "only the survey link"
