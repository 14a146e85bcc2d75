"""An agent's work on a held case, on the real use cases in-process: replies, transfers,
the resolution, and wrap-up holding the slot until it ends."""

from __future__ import annotations

from sqlalchemy import select

from switchboard.contracts.events import (
    AgentReplied,
    CaseOffered,
    CaseQueued,
    CaseResolved,
    CaseTransferred,
    ReplyPosted,
)
from switchboard.routing.adapters.orm import LastAgentRow
from switchboard.routing.service_layer import transfers, work
from switchboard.routing.service_layer.offers import answers


async def assigned(desk, case_id: str, agent_id: str, **case) -> None:
    await desk.open_case(case_id, **case)
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id=case_id, agent_id=agent_id)


async def test_only_the_first_reply_counts_as_the_first_response(desk):
    await desk.hire("a")
    await desk.cycle()
    await assigned(desk, "c1", "a")

    for message in ("m1", "m2"):
        await desk.do(work.record_reply, case_id="c1", agent_id="a", message_id=message)

    replies = await desk.service.published(AgentReplied)
    assert [(r.message_id, r.is_first_response) for r in replies] == [("m1", True), ("m2", False)]
    assert (await desk.case("c1")).first_response_at == desk.clock.now


async def test_a_reply_posted_through_intake_and_one_recorded_here_count_the_first_once(desk):
    await desk.hire("a")
    await desk.cycle()
    await assigned(desk, "c1", "a")

    def posted(reply_id: str) -> ReplyPosted:
        return ReplyPosted(
            case_id="c1",
            customer_id="customer-c1",
            region="nordics",
            channel="chat",
            reply_id=reply_id,
            agent_id="a",
            posted_at=desk.clock.now,
            adapter_id="chat-nordics",
            text="Hej",
        )

    first = await desk.service.deliver(posted("r1"))
    await desk.do(work.record_reply, case_id="c1", agent_id="a", message_id="m2")
    await desk.service.deliver(posted("r3"))
    await desk.service.deliver(*first)  # redelivered: the inbox skips it

    replies = await desk.service.published(AgentReplied)
    assert [(r.message_id, r.is_first_response) for r in replies] == [
        ("r1", True),
        ("m2", False),
        ("r3", False),
    ]


async def test_wrap_up_holds_the_slot_until_it_ends_and_a_call_blocks_everything(desk):
    await desk.hire("a")
    await desk.cycle()
    await assigned(desk, "call", "a", channel="phone")
    await desk.open_case("chat")

    desk.clock.advance(120)
    case = await desk.do(
        work.resolve_case, case_id="call", agent_id="a", resolution_code="refunded", note="ok"
    )

    assert case.state == "wrap_up"
    [resolved] = await desk.service.published(CaseResolved)
    assert (resolved.resolution_code, resolved.handle_seconds) == ("refunded", 120.0)
    assert resolved.first_contact_resolution is True
    async with desk.service.service.sessions() as session:
        assert (await session.get(LastAgentRow, "customer-call")).agent_id == "a"
    assert await desk.cycle() == 0, "wrap-up still holds the phone slot"
    assert (await desk.case("chat")).state == "waiting"

    done = await desk.do(work.finish_wrap_up, case_id="call", agent_id="a")

    assert done.state == "done"
    assert await desk.cycle() == 1
    assert (await desk.case("chat")).agent_id == "a"
    for n in range(4):
        await desk.open_case(f"chat{n}")
    assert (await desk.agent("a")).load == {"phone": 0, "chat": 3}


async def test_a_transfer_keeps_the_cases_age_and_excludes_the_sender(desk):
    await desk.hire("a")
    await desk.cycle()
    await assigned(desk, "c1", "a")
    await desk.open_case("there", region="dach", opened_at=desk.clock.advance(100))

    moved = await desk.do(
        transfers.transfer_case,
        case_id="c1",
        agent_id="a",
        region="dach",
        department="tech",
        note="German",
    )

    assert (moved.pool, moved.department, moved.transfers) == ("dach", "tech", 1)
    assert (moved.state, moved.excluded_agents) == ("waiting", ["a"])
    [transferred] = await desk.service.published(CaseTransferred)
    assert (transferred.from_queue_id, transferred.to_queue_id) == ("nordics", "dach")
    queued = await desk.service.published(CaseQueued, where=lambda e: e.case_id == "c1")
    assert [e.reason.value for e in queued] == ["new", "transfer"]
    assert queued[0].enqueued_at == queued[1].enqueued_at
    assert (await desk.agent("a")).load["chat"] == 0
    await desk.cycle()
    assert desk.loop.queue_position("c1") == 0, "older than the case waiting there"
    assert desk.loop.queue_position("there") == 1
    await desk.hire("b", region="dach", languages=["da", "de"])
    assert await desk.cycle() == 2
    first, second = (await desk.service.published(CaseOffered))[-2:]
    assert (first.case_id, second.case_id) == ("c1", "there")


async def test_a_transferred_case_resolves_without_first_contact_resolution(desk):
    await desk.hire("a")
    await desk.hire("b", region="dach")
    await desk.cycle()
    await assigned(desk, "c1", "a")
    await desk.do(
        transfers.transfer_case,
        case_id="c1",
        agent_id="a",
        region="dach",
        department=None,
        note=None,
    )
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id="c1", agent_id="b")

    await desk.do(work.resolve_case, case_id="c1", agent_id="b", resolution_code="ok", note=None)

    [resolved] = await desk.service.published(CaseResolved)
    assert resolved.first_contact_resolution is False
    async with desk.service.service.sessions() as session:
        last = await session.scalar(select(LastAgentRow.agent_id))
    assert last == "b"
