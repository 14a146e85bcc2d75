"""A day recorded by routing's real use cases in-process, read back from the events it
published and replayed with its own policies: the same waits, to the second."""

from __future__ import annotations

from datetime import timedelta

from switchboard.routing.adapters.whatif_reading import recorded_day
from switchboard.routing.domain.policy import PolicySet, catch_all_policy
from switchboard.routing.domain.whatif.recording import Answer
from switchboard.routing.domain.whatif.replay import Replay
from switchboard.routing.service_layer import work
from switchboard.routing.service_layer.offers import answers


async def test_a_recorded_day_replays_to_its_recorded_waits(desk):
    start = desk.clock.now
    await desk.hire("a1", capacity={"phone": 1})
    await desk.cycle()
    await desk.open_case("c1", channel="phone")  # offered on arrival
    desk.clock.advance(5)
    await desk.do(answers.accept_offer, case_id="c1", agent_id="a1")
    desk.clock.advance(5)
    await desk.open_case("c2", channel="phone")  # waits: a1 holds c1
    await desk.open_case("c3", channel="phone")
    desk.clock.advance(30)
    await desk.do(work.resolve_case, case_id="c1", agent_id="a1", resolution_code="ok", note=None)
    desk.clock.advance(5)
    await desk.do(work.finish_wrap_up, case_id="c1", agent_id="a1")  # t = 45
    await desk.cycle()  # c2 offered
    desk.clock.advance(3)
    await desk.do(answers.decline_offer, case_id="c2", agent_id="a1", reason="busy")
    await desk.cycle()  # c3 offered at 48, c2 waits for another agent
    desk.clock.advance(2)
    await desk.do(answers.accept_offer, case_id="c3", agent_id="a1")
    end = desk.clock.advance(100)

    events = await desk.service.published()
    day = recorded_day(events, start=start, end=end)

    visits = {visit.case_id: visit for visit in day.visits}
    assert {case: visit.recorded_wait for case, visit in visits.items()} == {
        "c1": 0.0,
        "c2": 35.0,
        "c3": 38.0,
    }
    assert visits["c1"].hold_seconds == 40.0  # accepted at 5, slot back at 45
    assert visits["c2"].responses["a1"].answer is Answer.DECLINE
    assert visits["c3"].hold_seconds is None  # still held at the day's end
    [a1] = day.agents
    assert a1.pools == frozenset({"nordics"})  # no profile given: its region
    assert [presence for _, presence in a1.presence] == ["available"]

    replayed = Replay(day, policies=PolicySet((), catch_all_policy()), agents=day.agents).run()
    assert replayed.waits == {visit.key: visit.recorded_wait for visit in day.visits}
    assert replayed.answers_assumed == 0
    assert day.end - day.start == timedelta(seconds=150)
