from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.escalation import (
    Escalation,
    EscalationError,
    EscalationLevel,
    EscalationPolicy,
    EscalationStatus,
    TriggerKind,
    policy_for_trigger,
)

T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
LEAD = EscalationLevel("team lead", ("role:team_lead",), 10 * MINUTE)
COORDINATOR = EscalationLevel("regional coordinator", ("role:coordinator",), 15 * MINUTE)
MANAGER = EscalationLevel("manager", ("role:manager",), 30 * MINUTE)
STANDARD = EscalationPolicy("standard", (LEAD, COORDINATOR, MANAGER), repeat=1)


def notified(escalation: Escalation) -> tuple[str, ...]:
    """Who must act now: the assignee after a reassignment, else the level's targets."""
    return (escalation.assignee,) if escalation.assignee else escalation.level.targets


def exhausted(escalation: Escalation) -> bool:
    """Still open, with no level or repeat left to move to."""
    return escalation.status is EscalationStatus.OPEN and escalation.acknowledge_by is None


def raised(policy: EscalationPolicy = STANDARD) -> Escalation:
    return Escalation.raise_for(
        escalation_id="esc-1",
        case_id="case-1",
        region="nordics",
        trigger=TriggerKind.SLA_BREACH,
        policy=policy,
        at=T0,
    )


def test_a_raised_escalation_notifies_the_first_level():
    escalation = raised()
    assert escalation.status is EscalationStatus.OPEN
    assert notified(escalation) == ("role:team_lead",)
    assert escalation.acknowledge_by == T0 + 10 * MINUTE


def test_unacknowledged_it_moves_up_level_by_level_then_repeats_then_stops():
    escalation, levels = raised(), []
    while escalation.acknowledge_by is not None:
        escalation = escalation.escalate_if_unacknowledged(at=escalation.acknowledge_by)
        levels.append((escalation.cycle, escalation.level.name))
    assert levels == [
        (0, "regional coordinator"),
        (0, "manager"),
        (1, "team lead"),
        (1, "regional coordinator"),
        (1, "manager"),
        (1, "manager"),
    ]
    assert exhausted(escalation)


def test_an_early_or_repeated_timer_changes_nothing():
    escalation = raised()
    assert escalation.escalate_if_unacknowledged(at=T0 + 5 * MINUTE) == escalation
    moved = escalation.escalate_if_unacknowledged(at=T0 + 10 * MINUTE)
    assert moved.escalate_if_unacknowledged(at=T0 + 10 * MINUTE) == moved


def test_acknowledging_stops_it():
    acknowledged = raised().acknowledge(by="coord-nordics")
    assert acknowledged.status is EscalationStatus.ACKNOWLEDGED
    assert acknowledged.acknowledged_by == "coord-nordics"
    assert acknowledged.escalate_if_unacknowledged(at=T0 + 99 * MINUTE) == acknowledged
    with pytest.raises(EscalationError):
        acknowledged.acknowledge(by="someone-else")


def test_resolving_stops_it_from_any_state():
    for escalation in (raised(), raised().acknowledge(by="c")):
        resolved = escalation.resolve(by="c")
        assert resolved.status is EscalationStatus.RESOLVED
        assert resolved.acknowledge_by is None
        assert resolved.resolve(by="c") == resolved


def test_reassigning_hands_it_to_someone_who_must_acknowledge():
    escalation = raised().acknowledge(by="lead")
    reassigned = escalation.reassign(to="coord-2", at=T0 + 2 * MINUTE)
    assert reassigned.status is EscalationStatus.OPEN
    assert notified(reassigned) == ("coord-2",)
    assert reassigned.acknowledge_by == T0 + 12 * MINUTE
    with pytest.raises(EscalationError):
        reassigned.resolve(by="x").reassign(to="y", at=T0)


def test_policies_refuse_nonsense():
    with pytest.raises(EscalationError):
        EscalationPolicy("empty", ())
    with pytest.raises(EscalationError):
        EscalationPolicy("negative", (LEAD,), repeat=-1)
    with pytest.raises(EscalationError):
        EscalationLevel("instant", ("x",), timedelta(0))


def test_policy_for_trigger_prefers_the_named_policy_that_answers_it():
    angry_only = EscalationPolicy("angry", (LEAD,), triggers=frozenset({TriggerKind.ANGRY_MESSAGE}))
    policies = (angry_only, STANDARD)
    assert policy_for_trigger(policies, TriggerKind.ANGRY_MESSAGE) is angry_only
    assert policy_for_trigger(policies, TriggerKind.SLA_BREACH) is STANDARD
    assert policy_for_trigger(policies, TriggerKind.SLA_BREACH, preferred="angry") is STANDARD
    assert policy_for_trigger((angry_only,), TriggerKind.MANUAL) is None


levels = st.lists(
    st.integers(1, 120).map(
        lambda minutes: EscalationLevel(f"l{minutes}", ("x",), minutes * MINUTE)
    ),
    min_size=1,
    max_size=5,
)


@given(levels, st.integers(0, 3), st.lists(st.integers(0, 300), max_size=30))
def test_any_timer_schedule_walks_every_level_of_every_cycle_once(level_list, repeat, waits):
    policy = EscalationPolicy("p", tuple(level_list), repeat=repeat)
    escalation, now, visited = raised(policy), T0, [(0, 0)]
    for wait in [*waits, *[10_000] * (len(level_list) * (repeat + 1) + 1)]:
        now += wait * MINUTE
        while escalation.acknowledge_by is not None and escalation.acknowledge_by <= now:
            escalation = escalation.escalate_if_unacknowledged(at=now)
            if escalation.acknowledge_by is not None:
                visited.append((escalation.cycle, escalation.level_index))
    expected = [(cycle, level) for cycle in range(repeat + 1) for level in range(len(level_list))]
    assert visited == expected
    assert exhausted(escalation)


@given(levels, st.integers(0, 3), st.integers(0, 2000), st.integers(0, 2000))
def test_after_acknowledgement_no_timer_moves_it(level_list, repeat, ack_after, timer_after):
    policy = EscalationPolicy("p", tuple(level_list), repeat=repeat)
    acknowledged = raised(policy).acknowledge(by="c")
    later = acknowledged.escalate_if_unacknowledged(at=T0 + (ack_after + timer_after) * MINUTE)
    assert later == acknowledged
