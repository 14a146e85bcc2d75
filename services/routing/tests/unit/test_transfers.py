"""Transfers to a named agent and to a queue, on the real use cases in-process and through
the HTTP API: who the case is offered to next, and what is refused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest

from switchboard.contracts.events import CaseOffered, CaseTransferred
from switchboard.routing.domain.errors import UnknownAgent
from switchboard.routing.domain.model import Presence
from switchboard.routing.domain.transfers import TransferRefused, UnknownQueue
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.routing.service_layer import agents, transfers
from switchboard.routing.service_layer.offers import answers
from switchboard.servicekit.service import service_app


async def held_by_a(desk, case_id: str = "c1") -> None:
    """Agent ``a`` of the nordics holds ``case_id``; nobody else is hired yet."""
    await desk.hire("a")
    await desk.cycle()
    await desk.open_case(case_id)
    await desk.do(answers.accept_offer, case_id=case_id, agent_id="a")


async def transfer(desk, **to):
    return await desk.do(transfers.transfer_case, case_id="c1", agent_id="a", note="for you", **to)


async def test_a_case_transferred_to_a_named_agent_is_offered_to_them_first(desk):
    await held_by_a(desk)
    await desk.hire("b")  # idle longer than c: the pool's usual choice
    await desk.hire("c")
    await desk.cycle()

    moved = await transfer(desk, to_agent="c")

    assert (moved.state, moved.preferred_agent, moved.excluded_agents) == ("waiting", "c", ["a"])
    [sent] = await desk.service.published(CaseTransferred)
    assert (sent.from_agent_id, sent.to_agent_id, sent.to_queue_id) == ("a", "c", "nordics")
    assert sent.to_region is None, "it stays in its region"
    assert await desk.cycle() == 1
    offer = (await desk.service.published(CaseOffered))[-1]
    assert (offer.agent_id, offer.explanation.step_name) == ("c", "preferred agent")


async def test_a_named_agent_who_declines_hands_the_case_to_the_pool_at_once(desk):
    await held_by_a(desk)
    await desk.hire("b")
    await desk.hire("c")
    await desk.cycle()
    await transfer(desk, to_agent="c")
    assert await desk.cycle() == 1

    declined = await desk.do(answers.decline_offer, case_id="c1", agent_id="c", reason="busy")

    assert (declined.preferred_agent, declined.preferred_until) == (None, None)
    assert await desk.cycle() == 1, "no wait for the preferred agent's turn to end"
    offer = (await desk.service.published(CaseOffered))[-1]
    assert (offer.case_id, offer.agent_id) == ("c1", "b")


async def test_a_busy_named_agent_of_another_region_is_waited_for_then_their_pool_serves(desk):
    await held_by_a(desk)
    await desk.hire("d1", region="dach", languages=["da", "de"])
    await desk.hire("d2", region="dach", languages=["da", "de"])
    await desk.do(agents.set_presence, agent_id="d2", presence=Presence.BUSY)
    await desk.cycle()

    moved = await transfer(desk, to_agent="d2")

    assert (moved.pool, moved.region, moved.preferred_agent) == ("dach", "dach", "d2")
    [sent] = await desk.service.published(CaseTransferred)
    assert (sent.to_agent_id, sent.to_region, sent.region) == ("d2", "dach", "dach")
    assert await desk.cycle() == 0, "the case waits for d2 alone"
    await desk.service.fire_timers(now=desk.clock.advance(60))  # d2's turn ends
    assert await desk.cycle() == 1
    offer = (await desk.service.published(CaseOffered))[-1]
    assert (offer.case_id, offer.agent_id) == ("c1", "d1")


async def test_a_named_agent_who_is_offline_unknown_or_the_sender_is_refused(desk):
    await held_by_a(desk)
    await desk.hire("gone", available=False)

    with pytest.raises(TransferRefused, match="offline"):
        await transfer(desk, to_agent="gone")
    with pytest.raises(TransferRefused, match="already yours"):
        await transfer(desk, to_agent="a")
    with pytest.raises(UnknownAgent):
        await transfer(desk, to_agent="nobody")

    case = await desk.case("c1")
    assert (case.state, case.agent_id, case.transfers) == ("assigned", "a", 0)
    assert (await desk.agent("a")).load["chat"] == 1
    assert await desk.service.published(CaseTransferred) == []


async def test_a_case_transferred_to_a_queue_waits_there_for_its_agents(desk):
    await held_by_a(desk)
    await desk.hire("v", pools=["vip"])
    await desk.cycle()

    moved = await transfer(desk, to_queue="vip")

    assert (moved.pool, moved.region, moved.preferred_agent) == ("vip", "nordics", None)
    [sent] = await desk.service.published(CaseTransferred)
    assert (sent.from_queue_id, sent.to_queue_id, sent.to_agent_id) == ("nordics", "vip", None)
    assert await desk.cycle() == 1
    assert (await desk.service.published(CaseOffered))[-1].agent_id == "v"
    await desk.do(answers.accept_offer, case_id="c1", agent_id="v")
    with pytest.raises(UnknownQueue):
        await desk.do(transfers.transfer_case, case_id="c1", agent_id="v", note=None, to_queue="vi")


async def test_a_queue_served_from_another_region_takes_the_case_there(desk):
    await held_by_a(desk)
    await desk.hire("d1", region="dach", pools=["returns"], languages=["da", "de"])
    await desk.hire("d2", region="dach", pools=["returns", "dach"], languages=["da", "de"])
    await desk.cycle()

    moved = await transfer(desk, to_queue="returns")

    assert (moved.pool, moved.region) == ("returns", "dach"), "its SLA and coordinators: dach's"
    [sent] = await desk.service.published(CaseTransferred)
    assert (sent.to_queue_id, sent.to_region, sent.region) == ("returns", "dach", "dach")

    await desk.hire("n1", region="nordics", pools=["returns"])  # now served from two regions
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id="c1", agent_id=(await offered(desk)).agent_id)
    holder = (await desk.service.published(CaseOffered))[-1].agent_id
    again = await desk.do(
        transfers.transfer_case, case_id="c1", agent_id=holder, note=None, to_queue="returns"
    )
    assert again.region == "dach", "agents of several regions: the case keeps its own"


async def offered(desk) -> CaseOffered:
    assert await desk.cycle() >= 0
    return (await desk.service.published(CaseOffered))[-1]


@pytest.fixture
async def client(desk) -> AsyncIterator[httpx.AsyncClient]:
    app = service_app(desk.service.service, HTTP_API)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://routing.test") as client:
        yield client


def bearer(desk, subject: str) -> dict[str, str]:
    tokens = desk.service.service.tokens
    token = tokens.issue(subject=subject, role="agent", regions=(), ttl=timedelta(minutes=5))
    return {"Authorization": f"Bearer {token}"}


async def test_the_transfer_route_answers_each_refusal_as_a_problem(desk, client):
    await held_by_a(desk)
    await desk.hire("b")
    await desk.hire("gone", available=False)

    async def post(body: object, subject: str = "a", query: str = "") -> httpx.Response:
        url = f"/v1/cases/c1/transfer{query}"
        return await client.post(url, json=body, headers=bearer(desk, subject))

    def problem(response: httpx.Response, status: int) -> str:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        return str(response.json()["detail"])

    problem(await post({}), 422)
    problem(await post({"agent": "b", "queue": "nordics"}), 422)
    problem(await post({"agent": "b", "region": "dach"}), 422)
    problem(await post({"agent": "two words"}), 422)
    problem(await post({"agent": "nobody"}), 404)
    problem(await post({"queue": "nowhere"}), 404)
    assert "offline" in problem(await post({"agent": "gone"}), 409)
    problem(await post({"agent": "b"}, subject="b"), 409)  # b does not hold it
    problem(await post({"agent": "b"}, subject="b", query="?agent_id=a"), 403)

    moved = await post({"agent": "b", "note": "billing question"})

    assert moved.status_code == 200, moved.text
    assert (moved.json()["state"], moved.json()["agent_id"]) == ("waiting", None)
    assert await desk.cycle() == 1
    assert (await desk.service.published(CaseOffered))[-1].agent_id == "b"
