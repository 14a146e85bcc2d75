"""The what-if replay on small synthetic days whose waits can be worked out by hand."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.routing.domain.model import Channel, Presence
from switchboard.routing.domain.policy import (
    PolicyError,
    PolicySet,
    catch_all_policy,
    policy_set_from_data,
)
from switchboard.routing.domain.whatif.comparing import Alternative, compare
from switchboard.routing.domain.whatif.recording import (
    AgentDay,
    Answer,
    RecordedDay,
    Response,
    Visit,
)
from switchboard.routing.domain.whatif.replay import Replay
from switchboard.routing.domain.whatif.results import side_by_side
from switchboard.routing.domain.whatif.staffing import StaffingChange, StaffingError, staffed
from switchboard.routing.service_layer.what_if import alternative

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
IN_FORCE = PolicySet(policies=(), default=catch_all_policy())


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(agent_id: str, *, skills: dict[str, int] | None = None, available: float = 0) -> AgentDay:
    return AgentDay(
        id=agent_id,
        pools=frozenset({"emea"}),
        region="emea",
        skills=skills or {},
        languages=frozenset({"en"}),
        capacity={Channel.PHONE: 1},
        presence=((at(available), Presence.AVAILABLE),),
    )


def visit(number: int, seconds: float, *, hold: float | None, **responses: Response) -> Visit:
    return Visit(
        key=f"c{number}#1",
        case_id=f"c{number}",
        at=at(seconds),
        enqueued_at=at(seconds),
        pool="emea",
        channel=Channel.PHONE,
        priority=3,
        language="en",
        region="emea",
        department="",
        policy="default",
        responses=responses,
        hold_seconds=hold,
    )


def accepts(after: float) -> Response:
    return Response(Answer.ACCEPT, after)


def day(visits: list[Visit], agents: list[AgentDay], seconds: float = 3600) -> RecordedDay:
    return RecordedDay(start=T0, end=at(seconds), visits=tuple(visits), agents=tuple(agents))


def test_one_agent_serves_the_queue_in_order_with_recorded_handle_times() -> None:
    # a1 takes c1 at 10 s, accepts at 15, frees at 115; c2 then (waited 95 s), frees at
    # 120 + 50 = 170; c3 then (waited 140 s).
    recorded = day(
        [
            visit(1, 10, hold=100, a1=accepts(5)),
            visit(2, 20, hold=50, a1=accepts(5)),
            visit(3, 30, hold=10, a1=accepts(5)),
        ],
        [agent("a1")],
    )
    replayed = Replay(recorded, policies=IN_FORCE, agents=recorded.agents).run()
    assert replayed.waits == {"c1#1": 0.0, "c2#1": 95.0, "c3#1": 140.0}
    assert replayed.offers == {"a1": 3}
    assert replayed.answers_assumed == replayed.holds_assumed == 0


def test_a_decline_sends_the_case_to_the_next_agent_who_never_gets_it_back() -> None:
    # a1 (first in the idle order) is offered c1 at 0 and declines after 4 s; c1 goes to
    # a2 then, and never back to a1.
    recorded = day(
        [visit(1, 0, hold=30, a1=Response(Answer.DECLINE, 4), a2=accepts(1))],
        [agent("a1", available=0), agent("a2", available=0)],
    )
    replayed = Replay(recorded, policies=IN_FORCE, agents=recorded.agents).run()
    assert replayed.waits == {"c1#1": 0.0}  # the first offer counts
    assert replayed.offers == {"a1": 1, "a2": 1}


def test_a_policy_step_holds_a_case_for_the_skilled_agent_until_its_timeout() -> None:
    policies = policy_set_from_data(
        {
            "policies": [
                {
                    "name": "skilled-first",
                    "steps": [{"requires": "support >= 7", "timeout": "30s"}],
                    "fallback": "true",
                }
            ]
        }
    )
    recorded = day(
        [visit(1, 0, hold=30)],
        [agent("novice"), agent("expert", skills={"support": 8}, available=50)],
    )
    replayed = Replay(recorded, policies=policies, agents=recorded.agents).run()
    assert replayed.waits == {"c1#1": 30.0}  # the novice, once the step timed out
    assert replayed.answers_assumed == 1  # nobody was offered c1 that day: accepted
    assert replayed.holds_assumed == 0


def test_an_added_agent_copies_a_pool_agent_and_shortens_the_waits() -> None:
    recorded = day([visit(n, 10, hold=100, a1=accepts(0)) for n in range(1, 4)], [agent("a1")])
    outcomes = compare(
        recorded,
        [
            Alternative("as recorded"),
            Alternative("+2", staffing=(StaffingChange.parse("emea:+2"),)),
        ],
        policies_in_force=IN_FORCE,
        target_of=lambda pool: 60.0,
    )
    names = [o.name for o in outcomes]
    assert names == ["recorded", "as recorded", "+2"]
    as_recorded, more = outcomes[1].pools[0], outcomes[2].pools[0]
    assert as_recorded.wait_mean == pytest.approx((0 + 100 + 200) / 3)
    assert (more.wait_mean, more.agents, more.service_level) == (0.0, 3, 1.0)
    assert as_recorded.service_level == pytest.approx(1 / 3)
    assert "wait mean s" in side_by_side(outcomes)


def test_staffing_changes_parse_and_apply() -> None:
    agents = tuple(agent(f"a{n}") for n in range(1, 5))
    assert [a.id for a in staffed(agents, (StaffingChange.parse("emea:-1"),))] == ["a1", "a2", "a3"]
    assert len(staffed(agents, (StaffingChange.parse("emea:*1.5"),))) == 6
    assert len(staffed(agents, (StaffingChange.parse("emea:x0.5"),))) == 2
    with pytest.raises(StaffingError):
        StaffingChange.parse("emea:+1.5")
    with pytest.raises(StaffingError):
        staffed(agents, (StaffingChange.parse("apac:+1"),))
    assert len(staffed(agents, (StaffingChange.parse("emea:+500"),))) == 504
    for too_many in ("emea:+501", "emea:-999999999", "emea:*10.5", "emea:x99999999"):
        with pytest.raises(StaffingError):
            StaffingChange.parse(too_many)


def test_changes_add_up_to_a_bounded_pool() -> None:
    agents = tuple(agent(f"a{n}") for n in range(1, 4))
    thrice = (StaffingChange.parse("emea:*10"),) * 3
    with pytest.raises(StaffingError, match="at most 503"):
        staffed(agents, thrice)  # 3 -> 30 -> 300 -> 3,000: 10x of 3 is 30, +500 is 503
    many = tuple(StaffingChange.parse("emea:+500") for _ in range(20))
    with pytest.raises(StaffingError):
        staffed(agents, many)
    up_to = (StaffingChange.parse("emea:+300"), StaffingChange.parse("emea:+200"))
    assert len(staffed(agents, up_to)) == 503
    with pytest.raises(StaffingError):
        staffed(agents, (*up_to, StaffingChange.parse("emea:+1")))
    down = (StaffingChange.parse("emea:*10"), StaffingChange.parse("emea:-5"))
    assert len(staffed(agents, down)) == 25


def test_policies_nested_too_deeply_are_an_invalid_alternative() -> None:
    with pytest.raises(PolicyError, match="nested too deeply"):
        alternative("deep", policies_yaml="policies: " + "[" * 5000)


def test_going_offline_gives_back_an_unanswered_offer_to_the_queue() -> None:
    # a1 is offered c1 at 0 and goes offline at 3, before its recorded accept at 5: c1 waits
    # again and goes to a2 when a2 comes at 10, who was never offered it that day.
    leaving = replace(
        agent("a1"), presence=((at(0), Presence.AVAILABLE), (at(3), Presence.OFFLINE))
    )
    recorded = day([visit(1, 0, hold=20, a1=accepts(5))], [leaving, agent("a2", available=10)])
    replay = Replay(recorded, policies=IN_FORCE, agents=recorded.agents)
    replayed = replay.run()
    assert replayed.offers == {"a1": 1, "a2": 1}
    assert replayed.answers_assumed == 1
    assert replay.agents["a1"].load == {Channel.PHONE: 0}
    assert replay.agents["a2"].load == {Channel.PHONE: 0}  # released at 10 + 5 + 20


def test_an_offer_let_expire_sets_the_agent_away_until_it_comes_back() -> None:
    # a1 lets c1 expire (30 s, the default policy's offer time-out): away until its recorded
    # return at 60; a2 takes c1 at 30 and holds it; c2 arrives at 40 and waits for a1.
    returning = replace(
        agent("a1"), presence=((at(0), Presence.AVAILABLE), (at(60), Presence.AVAILABLE))
    )
    recorded = day(
        [
            visit(1, 0, hold=100, a1=Response(Answer.EXPIRE, 30), a2=accepts(1)),
            visit(2, 40, hold=10, a1=accepts(1)),
        ],
        [returning, agent("a2", available=1)],
    )
    replayed = Replay(recorded, policies=IN_FORCE, agents=recorded.agents).run()
    assert replayed.waits == {"c1#1": 0.0, "c2#1": 20.0}
    assert replayed.offers == {"a1": 2, "a2": 1}


def test_the_index_learns_of_a_freed_agent_after_the_days_dispatch_latency() -> None:
    # a1 logs in at 0 (the index knows at 2); c1 comes at 5 and frees a1 at 15; the index
    # hears of it at 17 and offers c2 (queued at 6) then.
    recorded = replace(
        day(
            [visit(1, 5, hold=10, a1=accepts(0)), visit(2, 6, hold=5, a1=accepts(0))], [agent("a1")]
        ),
        dispatch_seconds=(2.0,),
    )
    replayed = Replay(recorded, policies=IN_FORCE, agents=recorded.agents).run()
    assert replayed.waits == {"c1#1": 0.0, "c2#1": 11.0}
    immediate = Replay(recorded, policies=IN_FORCE, agents=recorded.agents, dispatch_seconds=())
    assert immediate.run().waits == {"c1#1": 0.0, "c2#1": 9.0}


def test_an_offer_to_an_agent_gone_offline_before_the_index_knew_is_refused() -> None:
    leaving = replace(
        agent("a1"), presence=((at(0), Presence.AVAILABLE), (at(5), Presence.OFFLINE))
    )
    recorded = replace(
        day(
            [visit(1, 6, hold=10, a1=accepts(0), a2=accepts(0))],
            [leaving, agent("a2", available=0)],
        ),
        dispatch_seconds=(3.0,),
    )
    replay = Replay(recorded, policies=IN_FORCE, agents=recorded.agents)
    replayed = replay.run()
    # at 6 the index still holds a1 available and idle longest: refused, c1 goes to a2.
    assert replayed.offers == {"a2": 1}
    assert replayed.waits == {"c1#1": 0.0}
