"""The chaos invariants catch what they are for: each check is fed a history that breaks
it (and one that keeps it), built from real event models."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from switchboard.chaos import invariants
from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import (
    CaseAssigned,
    CaseOpened,
    CaseResolved,
    ContactReceived,
    EscalationRaised,
    SurveyRequested,
)
from switchboard.contracts.events.common import Channel
from switchboard.contracts.events.escalations import RaisedBecause
from switchboard.simulator.api import Call
from switchboard.simulator.report import ContactRecord

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def at(seconds: float, event: Any, id: str | None = None) -> Envelope[Any]:
    extra = {"id": id} if id else {}
    return Envelope(event, "test", time=T0 + timedelta(seconds=seconds), **extra)


def assigned(case: str, agent: str, channel: Channel = Channel.CHAT) -> CaseAssigned:
    return CaseAssigned.model_construct(case_id=case, agent_id=agent, channel=channel)


def resolved(case: str, agent: str) -> CaseResolved:
    return CaseResolved.model_construct(case_id=case, agent_id=agent, channel=Channel.CHAT)


def test_a_second_holder_while_the_first_holds_is_caught() -> None:
    kept = [at(0, assigned("c1", "ann")), at(1, resolved("c1", "ann")), at(2, assigned("c1", "bo"))]
    broken = [at(0, assigned("c1", "ann")), at(1, assigned("c1", "bo"))]
    assert invariants.one_holder_at_a_time(kept).passed
    check = invariants.one_holder_at_a_time(broken)
    assert not check.passed
    assert check.violations == 1
    assert "while ann held it" in check.example


def test_an_agent_over_capacity_is_caught_in_time_order() -> None:
    capacity = {"ann": {"chat": 1}}
    one_after_another = [
        at(0, assigned("c1", "ann")),
        at(1, resolved("c1", "ann")),
        at(2, assigned("c2", "ann")),
    ]
    # Read in another order (two partitions), but happened overlapping.
    overlapping = [
        at(2, resolved("c1", "ann")),
        at(0, assigned("c1", "ann")),
        at(1, assigned("c2", "ann")),
    ]
    assert invariants.within_capacity(one_after_another, capacity).passed
    check = invariants.within_capacity(overlapping, capacity)
    assert not check.passed
    assert "held 2 chat cases (capacity 1)" in check.example


def record(contact: str, case: str) -> ContactRecord:
    return ContactRecord(0, "09:00", "chat", "dach", "de", "new", "k", "a", 202, case, contact)


def test_a_contact_answered_202_but_lost_or_in_another_case_is_caught() -> None:
    events = [
        at(0, CaseOpened.model_construct(case_id="c1", first_contact_id="k1")),
        at(1, ContactReceived.model_construct(case_id="c1", contact_id="k2", received_at=T0)),
    ]
    assert invariants.contacts_in_one_case(
        events, [record("k1", "c1"), record("k2", "c1")], []
    ).passed
    lost = invariants.contacts_in_one_case(events, [record("k3", "c1")], [])
    elsewhere = invariants.contacts_in_one_case(events, [record("k2", "c9")], [])
    probe_lost = invariants.contacts_in_one_case(events, [], ["c7"])
    assert (lost.violations, elsewhere.violations, probe_lost.violations) == (1, 1, 1)


def test_contacts_of_a_case_out_of_order_are_caught() -> None:
    def received(seconds: int) -> ContactReceived:
        return ContactReceived.model_construct(
            case_id="c1", contact_id=f"k{seconds}", received_at=T0 + timedelta(seconds=seconds)
        )

    opened = at(0, CaseOpened.model_construct(case_id="c1", first_contact_id="k0"))
    assert invariants.case_events_in_order([opened, at(1, received(1)), at(2, received(2))]).passed
    assert not invariants.case_events_in_order(
        [opened, at(2, received(2)), at(3, received(1))]
    ).passed
    assert not invariants.case_events_in_order([at(1, received(1)), opened]).passed


def survey(case: str, survey_id: str) -> SurveyRequested:
    return SurveyRequested.model_construct(case_id=case, survey_id=survey_id)


def test_two_surveys_for_a_case_or_one_for_an_open_case_are_caught() -> None:
    done = at(0, resolved("c1", "ann"))
    redelivered = [done, at(1, survey("c1", "s1"), id="e1"), at(1, survey("c1", "s1"), id="e1")]
    assert invariants.one_survey_per_resolved_case(invariants.unique(redelivered)).passed
    assert not invariants.one_survey_per_resolved_case(
        [done, at(1, survey("c1", "s1")), at(2, survey("c1", "s2"))]
    ).passed
    assert not invariants.one_survey_per_resolved_case([at(1, survey("c2", "s3"))]).passed


def test_a_breach_escalated_twice_is_caught() -> None:
    def raised(escalation: str) -> EscalationRaised:
        return EscalationRaised.model_construct(
            escalation_id=escalation,
            case_id="c1",
            trigger=RaisedBecause.SLA_BREACH,
            trigger_event_id="breach-1",
        )

    assert invariants.breaches_escalated_once_per_level([at(0, raised("x1"))]).passed
    check = invariants.breaches_escalated_once_per_level([at(0, raised("x1")), at(1, raised("x2"))])
    assert not check.passed
    assert "2 escalations" in check.example


def test_a_500_or_a_503_without_retry_after_is_caught() -> None:
    fine = [
        Call(1.0, "intake", "POST", "/v1/x", 202),
        Call(2.0, "intake", "POST", "/v1/x", 503, retry_after="2"),
    ]
    assert invariants.clients_saw_only_2xx_or_503(fine).passed
    assert not invariants.clients_saw_only_2xx_or_503(
        [Call(1.0, "routing", "GET", "/", 500)]
    ).passed
    assert not invariants.clients_saw_only_2xx_or_503(
        [Call(1.0, "routing", "GET", "/", 503)]
    ).passed
    dated = Call(3.0, "routing", "GET", "/", 503, retry_after="Wed, 21 Oct 2026 07:28:00 GMT")
    assert invariants.clients_saw_only_2xx_or_503([dated]).passed, "an HTTP date is one too"
    for useless in ("0", "soon"):
        late = Call(3.0, "routing", "GET", "/", 503, retry_after=useless)
        assert not invariants.clients_saw_only_2xx_or_503([late]).passed, useless


def test_a_connection_error_outside_the_services_own_outage_is_caught() -> None:
    windows = [("routing", 10.0, 20.0)]
    during = Call(15.0, "routing", "POST", "/v1/cases/c1/accept", None, "ConnectError")
    after = Call(25.0, "routing", "POST", "/v1/cases/c1/accept", None, "ConnectError")
    other = Call(15.0, "intake", "POST", "/v1/adapters/a/contacts/chat", None, "ReadError")
    assert invariants.connection_errors_only_while_down([during], windows).passed
    assert not invariants.connection_errors_only_while_down([after], windows).passed
    assert not invariants.connection_errors_only_while_down([other], windows).passed


def test_dead_letters_and_slow_recovery_fail() -> None:
    assert invariants.no_dead_letters({"switchboard.dlq.routing": []}).passed
    assert not invariants.no_dead_letters({"switchboard.dlq.routing": ["UndecodableEvent"]}).passed
    assert invariants.routed_after_every_fault([(5.0, 1.0)], 90, 15).passed
    assert not invariants.routed_after_every_fault([(None, None)], 90, 15).passed
    assert not invariants.routed_after_every_fault([(5.0, None)], 90, 15).passed
    assert not invariants.routed_after_every_fault([(5.0, 20.0)], 90, 15).passed


def test_a_contact_never_answered_fails_unless_the_simulator_stopped_while_it_was_sent() -> None:
    answered = record("k1", "c1")
    given_up = ContactRecord(0, "09:00", "chat", "dach", "de", "new", "k", "a", 0, gave_up="x")
    stopped = ContactRecord(0, "17:59", "chat", "dach", "de", "new", "k", "a", 0, gave_up="stopped")
    kept = invariants.every_contact_answered([answered, stopped])
    assert kept.passed
    assert kept.checked == 1
    assert "1 still tried when the simulator stopped" in kept.name
    assert not invariants.every_contact_answered([answered, given_up]).passed
    server_error = ContactRecord(0, "09:00", "chat", "dach", "de", "new", "k", "a", 500)
    assert not invariants.every_contact_answered([server_error]).passed
