"""Offers answered, on the real use cases in-process: accepted, declined, left to expire;
and the offer loop's compare-and-set when the rows moved on under its index."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from switchboard.contracts.events import (
    AgentStatusChanged,
    CaseAssigned,
    CaseOffered,
    CaseQueued,
    OfferDeclined,
    OfferExpired,
)
from switchboard.routing.adapters.orm import OfferRow
from switchboard.routing.domain.errors import UnknownCase, WrongState
from switchboard.routing.domain.model import Presence
from switchboard.routing.service_layer import agents, work
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.timer_kinds import OFFER_TIMER
from switchboard.servicekit.timers import Timer


async def offered(desk, case_id: str = "c1") -> CaseOffered:
    [offer] = await desk.service.published(CaseOffered, where=lambda e: e.case_id == case_id)
    return offer


async def offers(desk) -> dict[str, str]:
    async with desk.service.service.sessions() as session:
        rows = await session.scalars(select(OfferRow).order_by(OfferRow.offered_at))
        return {row.offer_id: row.state for row in rows}


async def test_an_accepted_offer_assigns_the_case_with_the_offers_explanation(desk):
    await desk.hire("a1")
    await desk.cycle()
    await desk.open_case("c1")
    offer = await offered(desk)

    case = await desk.do(answers.accept_offer, case_id="c1", agent_id="a1")

    assert (case.state, case.assigned_at) == ("assigned", desk.clock.now)
    [assigned] = await desk.service.published(CaseAssigned)
    assert (assigned.offer_id, assigned.agent_id) == (offer.offer_id, "a1")
    assert assigned.explanation == offer.explanation
    assert await offers(desk) == {offer.offer_id: "accepted"}
    assert await desk.service.fire_timers(now=desk.clock.advance(60)) == 0, "no expiry left"


async def test_a_declined_case_is_never_offered_to_that_agent_again(desk):
    await desk.hire("a")
    await desk.cycle()
    await desk.open_case("c1")

    case = await desk.do(answers.decline_offer, case_id="c1", agent_id="a", reason="x" * 300)

    assert (case.state, case.agent_id, case.excluded_agents) == ("waiting", None, ["a"])
    [declined] = await desk.service.published(OfferDeclined)
    assert declined.reason == "x" * 200
    queued = await desk.service.published(CaseQueued)
    assert [e.reason.value for e in queued] == ["new", "offer_declined"]
    assert (await desk.agent("a")).load["chat"] == 0
    assert await desk.cycle() == 0, "not to the agent who declined"
    await desk.hire("b")
    assert await desk.cycle() == 1
    assert (await desk.case("c1")).agent_id == "b"


async def test_an_expired_offer_requeues_the_case_and_sets_the_agent_away(desk):
    await desk.hire("sleepy")
    desk.clock.advance(10)
    await desk.hire("other")
    await desk.cycle()
    await desk.open_case("c1")
    offer = await offered(desk)
    assert offer.agent_id == "sleepy", "idle the longest"

    assert await desk.service.fire_timers(now=desk.clock.advance(30)) == 1

    [expired] = await desk.service.published(OfferExpired)
    assert (expired.agent_id, expired.offer_id) == ("sleepy", offer.offer_id)
    sleepy = await desk.agent("sleepy")
    assert (sleepy.presence, sleepy.load["chat"]) == ("away", 0)
    away = await desk.service.published(AgentStatusChanged, where=lambda e: e.presence == "away")
    assert [(e.agent_id, e.reason, e.by.kind.value) for e in away] == [
        ("sleepy", "let an offer expire", "system")
    ]
    case = await desk.case("c1")
    assert (case.state, case.excluded_agents) == ("waiting", ["sleepy"])
    assert await desk.cycle() == 1
    assert (await desk.case("c1")).agent_id == "other"
    assert await desk.service.fire_timers(now=desk.clock.advance(1)) == 0, "the timer fires once"
    assert list((await offers(desk)).values()) == ["expired", "pending"]


async def test_an_offer_answered_before_its_timer_is_not_expired(desk):
    await desk.hire("a1")
    await desk.cycle()
    await desk.open_case("c1")
    offer = await offered(desk)
    await desk.do(answers.accept_offer, case_id="c1", agent_id="a1")
    timer = Timer(
        kind=OFFER_TIMER, key=offer.offer_id, due_at=desk.clock.now, payload={}, attempts=0
    )
    async with desk.service.service.transaction() as uow:
        await answers.expire_offer(timer, uow)
    assert await desk.service.published(OfferExpired) == []
    assert (await desk.agent("a1")).presence == "available"


async def test_going_offline_returns_unaccepted_offers_but_keeps_accepted_work(desk):
    await desk.hire("a")
    await desk.cycle()
    await desk.open_case("accepted")
    await desk.open_case("pending")
    await desk.do(answers.accept_offer, case_id="accepted", agent_id="a")

    agent = await desk.do(agents.set_presence, agent_id="a", presence=Presence.OFFLINE)

    assert (agent.presence, agent.load["chat"]) == ("offline", 1)
    assert (await desk.case("pending")).state == "waiting"
    assert (await desk.case("accepted")).state == "assigned"
    queued = await desk.service.published(CaseQueued, where=lambda e: e.case_id == "pending")
    assert [e.reason.value for e in queued] == ["new", "agent_offline"]
    assert sorted((await offers(desk)).values()) == ["accepted", "withdrawn"]
    await desk.do(agents.set_presence, agent_id="a", presence=Presence.AVAILABLE)
    assert await desk.cycle() == 1, "going offline does not exclude the agent"
    assert (await desk.case("pending")).agent_id == "a"


async def test_answers_from_the_wrong_agent_or_in_the_wrong_state_are_refused(desk):
    await desk.hire("a")
    await desk.hire("b", available=False)
    await desk.cycle()
    await desk.open_case("c1")
    with pytest.raises(WrongState):
        await desk.do(answers.accept_offer, case_id="c1", agent_id="b")
    with pytest.raises(WrongState):
        await desk.do(work.resolve_case, case_id="c1", agent_id="a", resolution_code="x", note=None)
    with pytest.raises(UnknownCase):
        await desk.do(answers.decline_offer, case_id="nope", agent_id="a", reason=None)
    assert (await desk.case("c1")).state == "offered"


async def test_a_stale_index_costs_a_retry_never_a_double_offer(desk):
    await desk.hire("a", capacity={"chat": 1})
    await desk.hire("b", capacity={"chat": 1})
    await desk.cycle()
    await desk.do(agents.set_presence, agent_id="a", presence=Presence.AWAY)  # not read yet

    await desk.open_case("c1")  # the index still sees "a" free: the rows refuse

    assert await desk.service.published(CaseOffered) == []
    assert (await desk.case("c1")).state == "waiting"
    assert await desk.cycle() == 1
    assert (await desk.case("c1")).agent_id == "b"
    assert list((await offers(desk)).values()) == ["pending"]
    assert desk.loop.conflicts >= 1
