"""Cases entering the queue, on the real handlers in-process: opened (and offered in the
same transaction when an agent is free), reopened, and moved on by their step timers."""

from __future__ import annotations

from datetime import timedelta

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseOffered, CaseQueued, CaseReopened, CustomerMerged
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.routing.service_layer import work
from switchboard.routing.service_layer.cases import review_case
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.timer_kinds import REVIEW_TIMER
from switchboard.servicekit.runtime import WarmingWorker
from switchboard.servicekit.timers import Timer

BILLING = {
    "policies": [
        {
            "name": "billing",
            "when": 'case.department == "billing"',
            "steps": [
                {"requires": "billing >= 7 and language == case.language", "timeout": "30s"},
                {"requires": "billing >= 3", "timeout": "1m"},
            ],
            "fallback": "true",
            "offer_timeout": "20s",
        }
    ]
}


def reopening(case_id: str, customer_id: str, at) -> CaseReopened:
    return CaseReopened(
        case_id=case_id,
        customer_id=customer_id,
        region="nordics",
        channel="chat",
        reopened_at=at,
        reason="customer_reply",
        previous_resolved_at=at - timedelta(minutes=1),
        priority=2,
        language="da",
    )


async def test_an_opened_case_waits_in_its_pool_by_its_policy_and_moves_on_in_time(desk):
    await desk.store_policies(BILLING)

    await desk.open_case("c1", department="billing", priority=2)

    [queued] = await desk.service.published(CaseQueued)
    assert (queued.case_id, queued.queue_id, queued.policy_id) == ("c1", "nordics", "billing")
    assert (queued.reason.value, queued.step_index, queued.priority) == ("new", 0, 2)
    case = await desk.case("c1")
    assert (case.state, case.policy, case.step) == ("waiting", "billing", 0)
    assert await desk.service.fire_timers(now=desk.clock.advance(29)) == 0
    assert await desk.service.fire_timers(now=desk.clock.advance(1)) == 1
    [overflow] = await desk.service.published(CaseQueued, where=lambda e: e.reason == "overflow")
    assert overflow.step_index == 1
    assert (await desk.case("c1")).step == 1


async def test_a_case_is_offered_in_the_transaction_that_queues_it(desk):
    await desk.hire("a1")
    await desk.cycle()  # the loop indexed the agent

    await desk.open_case("c1")

    queued, offered = await desk.service.published(CaseQueued | CaseOffered)
    assert (type(queued), type(offered)) == (CaseQueued, CaseOffered)
    assert offered.agent_id == "a1"
    assert offered.explanation.trigger.value == "case_arrived"
    case = await desk.case("c1")
    assert (case.state, case.agent_id, case.offer_id) == ("offered", "a1", offered.offer_id)
    assert (await desk.agent("a1")).load["chat"] == 1
    assert desk.loop.offers_committed == 1
    assert await desk.cycle() == 0, "nothing left for the loop"


async def test_a_case_no_agent_can_take_yet_waits_for_the_offer_loop(desk):
    await desk.open_case("c1")
    await desk.hire("a1")

    assert await desk.cycle() == 1

    [offered] = await desk.service.published(CaseOffered)
    assert (offered.agent_id, offered.explanation.trigger.value) == ("a1", "agent_freed")
    assert (await desk.case("c1")).state == "offered"


async def test_a_case_known_already_is_left_as_it_is(desk):
    await desk.open_case("c1", priority=2)
    await desk.open_case("c1", priority=4)  # the same case again, under another event id
    assert len(await desk.service.published(CaseQueued)) == 1
    assert (await desk.case("c1")).priority == 2


async def test_a_step_timer_firing_late_skips_every_step_already_due(desk):
    await desk.store_policies(BILLING)
    await desk.open_case("c1", department="billing")

    assert await desk.service.fire_timers(now=desk.clock.advance(500)) == 1

    assert (await desk.case("c1")).step == 2
    assert await desk.service.fire_timers(now=desk.clock.advance(500)) == 0, "the fallback stays"


async def test_the_broader_step_finds_the_agent_the_first_step_left_out(desk):
    await desk.store_policies(BILLING)
    await desk.hire("mid", skills={"billing": 4})
    await desk.cycle()
    await desk.open_case("c1", department="billing")
    assert await desk.service.published(CaseOffered) == []

    await desk.service.fire_timers(now=desk.clock.advance(30))
    assert await desk.cycle() == 1

    [offered] = await desk.service.published(CaseOffered)
    assert (offered.agent_id, offered.explanation.step_index) == ("mid", 1)
    assert offered.expires_at - offered.offered_at == timedelta(seconds=20)


async def test_a_returning_customer_waits_for_their_last_agent_then_anyone(desk):
    await desk.hire("last", capacity={"chat": 1})
    await desk.cycle()
    await desk.open_case("first", customer_id="cust-1")
    await desk.do(answers.accept_offer, case_id="first", agent_id="last")
    await desk.do(
        work.resolve_case, case_id="first", agent_id="last", resolution_code="ok", note=None
    )
    await desk.hire("stranger")
    await desk.cycle()
    offered_before = await desk.service.published(CaseOffered)

    await desk.open_case("second", customer_id="cust-1")

    assert (await desk.case("second")).preferred_agent == "last"
    assert await desk.service.published(CaseOffered) == offered_before, "last is wrapping up"
    await desk.service.fire_timers(now=desk.clock.advance(60))  # the preference ends
    assert await desk.cycle() == 1
    later = (await desk.service.published(CaseOffered))[-1]
    assert (later.case_id, later.agent_id) == ("second", "stranger")


async def test_a_merged_customer_s_last_agent_is_the_survivor_s(desk):
    await desk.hire("last", capacity={"chat": 1})
    await desk.cycle()
    await desk.open_case("first", customer_id="cust-dup")
    await desk.do(answers.accept_offer, case_id="first", agent_id="last")
    await desk.do(
        work.resolve_case, case_id="first", agent_id="last", resolution_code="ok", note=None
    )
    await desk.service.deliver(
        CustomerMerged(
            survivor_id="cust-1",
            merged_id="cust-dup",
            merged_at=desk.clock.now,
            by=Actor(kind=ActorKind.COORDINATOR, id="camilla"),
            case_ids=("first",),
        )
    )
    assert (await desk.case("first")).customer_id == "cust-1"

    await desk.open_case("second", customer_id="cust-1")

    assert (await desk.case("second")).preferred_agent == "last"


async def test_a_reopened_case_waits_again_for_its_last_agent_first(desk):
    await desk.hire("a1")
    await desk.hire("a2", available=False)
    await desk.cycle()
    await desk.open_case("c1", customer_id="cust-1")
    await desk.do(answers.accept_offer, case_id="c1", agent_id="a1")
    await desk.do(work.resolve_case, case_id="c1", agent_id="a1", resolution_code="ok", note=None)
    await desk.do(work.finish_wrap_up, case_id="c1", agent_id="a1")
    await desk.cycle()

    reopened = reopening("c1", "cust-1", desk.clock.advance(5))
    await desk.service.deliver(Envelope(data=reopened, source="/switchboard/intake"))

    [queued] = await desk.service.published(CaseQueued, where=lambda e: e.reason == "reopened")
    assert (queued.priority, queued.enqueued_at) == (2, reopened.reopened_at)
    case = await desk.case("c1")
    assert (case.state, case.reopens, case.preferred_agent) == ("waiting", 1, "a1")
    assert await desk.cycle() == 1
    again = (await desk.service.published(CaseOffered))[-1]
    assert (again.agent_id, again.explanation.step_name) == ("a1", "preferred agent")


async def test_a_reopening_of_a_case_not_done_changes_nothing(desk):
    await desk.open_case("c1")
    await desk.service.deliver(reopening("c1", "customer-c1", desk.clock.now))
    case = await desk.case("c1")
    assert (case.reopens, case.priority) == (0, 3)


async def test_a_review_of_a_case_no_longer_waiting_changes_nothing(desk):
    await desk.hire("a1")
    await desk.cycle()
    await desk.open_case("c1")
    timer = Timer(kind=REVIEW_TIMER, key="c1", due_at=desk.clock.now, payload={}, attempts=0)

    async with desk.service.service.transaction() as uow:
        await review_case(timer, uow)

    assert [e.reason.value for e in await desk.service.published(CaseQueued)] == ["new"]
    assert (await desk.case("c1")).state == "offered"


async def test_routing_is_not_ready_before_its_index_holds_the_waiting_cases(desk):
    assert isinstance(desk.loop, WarmingWorker)
    assert desk.loop.not_ready_because() == "building the index from the waiting cases and agents"
    await desk.cycle()
    assert desk.loop.not_ready_because() is None
