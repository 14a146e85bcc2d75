"""A coordinator's list of problems holds the newest of their regions' however many newer
problems other regions have."""

from __future__ import annotations

from datetime import timedelta

import httpx

from switchboard.escalation.adapters.problems import ProblemRow
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.servicekit.auth import Role
from switchboard.servicekit.service import service_app

from ..conftest import MONDAY_MORNING, Stack


async def problems_told(stack: Stack, *touched: tuple[str, ...]) -> None:
    """A problem for each of ``touched`` (its regions), the first the oldest."""
    async with stack.transaction() as uow:
        for number, regions in enumerate(touched):
            at = MONDAY_MORNING + timedelta(minutes=number)
            uow.session.add(
                ProblemRow(
                    problem_id=f"problem-{number}",
                    terms=["payment"],
                    regions=list(regions),
                    counts={region: 5 for region in regions},
                    examples=[],
                    acknowledgements={},
                    first_seen=at,
                    detected_at=at,
                )
            )


async def listed(stack: Stack, subject: str, role: Role, *regions: str, limit: int) -> list[str]:
    token = stack.service.service.tokens.issue(subject=subject, role=role, regions=list(regions))
    transport = httpx.ASGITransport(app=service_app(stack.service.service, HTTP_API))
    async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as client:
        response = await client.get(
            "/v1/problems",
            params={"limit": limit},
            headers={"authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200, response.text
    return [problem["problem_id"] for problem in response.json()]


async def test_a_regions_older_problems_are_listed_past_other_regions_newer_ones(stack):
    """Found by review: the list took the newest ``limit * 4`` problems and then kept the
    caller's, so a coordinator could see none while their region had some."""
    await problems_told(
        stack,
        ("poland", "dach"),
        ("dach", "nordics"),
        *[("france", "nordics")] * 6,
    )
    assert await listed(stack, "zofia", Role.COORDINATOR, "poland", limit=1) == ["problem-0"]
    assert await listed(stack, "greta", Role.COORDINATOR, "dach", "iberia", limit=5) == [
        "problem-1",
        "problem-0",
    ]
    assert await listed(stack, "nora", Role.COORDINATOR, "nordics", limit=2) == [
        "problem-7",
        "problem-6",
    ]
    assert await listed(stack, "root", Role.ADMIN, limit=3) == [
        "problem-7",
        "problem-6",
        "problem-5",
    ]
    assert await listed(stack, "nobody", Role.COORDINATOR, limit=3) == []
