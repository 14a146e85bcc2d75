"""escalation_sla_outcomes_total: each SLA clock counted once, as breached or achieved, by the
case's region — what the SLA breach ratio per region (deploy/prometheus/rules) divides."""

from prometheus_client import REGISTRY

from switchboard.contracts.events import SlaAchieved, SlaBreached

from ..conftest import case_opened, replied


def outcomes(region: str, outcome: str, metric: str = "first_response") -> float:
    labels = {"region": region, "metric": metric, "outcome": outcome}
    return REGISTRY.get_sample_value("escalation_sla_outcomes_total", labels) or 0.0


async def test_a_breach_is_counted_once_in_its_region_when_it_fires(stack):
    before = outcomes("nordics", "breached"), outcomes("nordics", "achieved")
    opened = case_opened(at=stack.clock.at)  # first response within 1h
    await stack.deliver(opened)
    stack.clock.advance(minutes=30)
    await stack.fire_timers()  # a warning: no outcome yet
    assert outcomes("nordics", "breached") == before[0]
    stack.clock.advance(minutes=30)
    await stack.fire_timers()
    assert [e.metric for e in await stack.events(SlaBreached)] == ["first_response"]
    assert outcomes("nordics", "breached") == before[0] + 1
    await stack.deliver(replied(opened, at=stack.clock.advance(minutes=5)))  # late: no more
    assert outcomes("nordics", "breached") == before[0] + 1
    assert outcomes("nordics", "achieved") == before[1]


async def test_a_reply_before_the_breach_fired_counts_it_and_one_in_time_is_achieved(stack):
    before = outcomes("nordics", "breached"), outcomes("france", "achieved")
    late = case_opened(at=stack.clock.at)
    in_time = case_opened(at=stack.clock.at, region="france")
    await stack.deliver(late)
    await stack.deliver(in_time)
    await stack.deliver(replied(in_time, at=stack.clock.advance(minutes=10)))
    # Past the deadline, its timer not fired yet: the reply settles the clock as breached.
    await stack.deliver(replied(late, at=stack.clock.advance(minutes=70)))
    assert [e.case_id for e in await stack.events(SlaBreached)] == [late.case_id]
    assert [e.case_id for e in await stack.events(SlaAchieved)] == [in_time.case_id]
    assert outcomes("nordics", "breached") == before[0] + 1
    assert outcomes("france", "achieved") == before[1] + 1
    await stack.fire_timers()  # the breach's own timer finds the clock settled
    assert outcomes("nordics", "breached") == before[0] + 1
