from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.escalation.domain.calendar import BusinessCalendar, WeeklyHours
from switchboard.escalation.domain.sla import (
    CaseAttribute,
    CaseProfile,
    ClockState,
    Condition,
    Metric,
    SlaClock,
    SlaError,
    SlaPolicy,
    select_policy,
)

from .calendar_queries import is_open

OSLO = ZoneInfo("Europe/Oslo")
NORDIC_OFFICE = BusinessCalendar(
    "Europe/Oslo",
    WeeklyHours.parse(
        {day: ["08:00-11:30", "12:00-16:00"] for day in ("mon", "tue", "wed", "thu", "fri")}
    ),
    country="NO",
)
ALWAYS = BusinessCalendar("UTC", WeeklyHours.around_the_clock())


def policy(name="standard", *, first_response=timedelta(hours=4), **conditions) -> SlaPolicy:
    return SlaPolicy(
        name=name,
        conditions=tuple(
            Condition(CaseAttribute(attribute), frozenset(values))
            for attribute, values in conditions.items()
        ),
        targets={
            Metric.FIRST_RESPONSE: first_response,
            Metric.NEXT_RESPONSE: timedelta(hours=8),
            Metric.RESOLUTION: timedelta(days=3),
        },
    )


def oslo(*args: int) -> datetime:
    return datetime(*args, tzinfo=OSLO)


def case(priority="normal", channel="email", region="nordics", tier="standard") -> CaseProfile:
    return CaseProfile(priority=priority, channel=channel, region=region, customer_tier=tier)


def test_the_first_matching_policy_applies():
    policies = [
        policy("vip-urgent", priority={"urgent"}, customer_tier={"vip"}),
        policy("urgent", priority={"urgent", "high"}),
        policy("nordic-chat", channel={"chat"}, region={"nordics"}),
        policy("default"),
    ]
    assert select_policy(policies, case("urgent", tier="vip")).name == "vip-urgent"
    assert select_policy(policies, case("high", channel="chat")).name == "urgent"
    assert select_policy(policies, case("normal", channel="chat")).name == "nordic-chat"
    assert select_policy(policies, case("low", channel="voice")).name == "default"
    assert select_policy(policies[:1], case()) is None


def test_policies_refuse_nonsense():
    with pytest.raises(SlaError, match="positive"):
        policy(first_response=timedelta(0))
    with pytest.raises(SlaError, match="fractions"):
        SlaPolicy("x", (), {Metric.RESOLUTION: timedelta(hours=1)}, warning_fractions=(1.2,))
    with pytest.raises(SlaError, match="unknown fractions"):
        SlaPolicy(
            "x", (), {Metric.RESOLUTION: timedelta(hours=1)}, escalate_at_fractions=frozenset({0.3})
        )


def test_warnings_and_breach_fall_due_in_business_time():
    clock = SlaClock.start(
        metric=Metric.FIRST_RESPONSE, policy=policy(), at=oslo(2026, 11, 24, 10, 0)
    )
    assert clock.due_at(0.5, calendar=NORDIC_OFFICE) == oslo(2026, 11, 24, 12, 30)
    assert clock.due_at(0.75, calendar=NORDIC_OFFICE) == oslo(2026, 11, 24, 13, 30)
    assert clock.due_at(1.0, calendar=NORDIC_OFFICE) == oslo(2026, 11, 24, 14, 30)
    assert clock.next_due(calendar=NORDIC_OFFICE) == (0.5, oslo(2026, 11, 24, 12, 30))


def test_each_threshold_fires_once_and_the_breach_marks_the_clock():
    clock = SlaClock.start(
        metric=Metric.FIRST_RESPONSE, policy=policy(), at=oslo(2026, 11, 24, 10, 0)
    )
    clock, fired = clock.fire_due(at=oslo(2026, 11, 24, 13, 45), calendar=NORDIC_OFFICE)
    assert fired == (0.5, 0.75)
    clock, fired_again = clock.fire_due(at=oslo(2026, 11, 24, 13, 50), calendar=NORDIC_OFFICE)
    assert fired_again == ()
    clock, fired = clock.fire_due(at=oslo(2026, 11, 24, 14, 30), calendar=NORDIC_OFFICE)
    assert fired == (1.0,)
    assert clock.state is ClockState.BREACHED
    assert clock.next_due(calendar=NORDIC_OFFICE) is None


def test_waiting_on_the_customer_pauses_the_clock():
    start = oslo(2026, 11, 24, 9, 0)
    clock = SlaClock.start(metric=Metric.RESOLUTION, policy=policy(), at=start)
    paused = clock.pause(at=oslo(2026, 11, 24, 10, 0), calendar=NORDIC_OFFICE)
    assert paused.state is ClockState.PAUSED
    assert paused.next_due(calendar=NORDIC_OFFICE) is None
    assert paused.elapsed(at=oslo(2026, 11, 30, 10, 0), calendar=NORDIC_OFFICE) == timedelta(
        hours=1
    )
    resumed = paused.resume(at=oslo(2026, 11, 25, 9, 0))
    assert resumed.elapsed(at=oslo(2026, 11, 25, 10, 0), calendar=NORDIC_OFFICE) == timedelta(
        hours=2
    )


def test_completing_in_time_achieves_and_late_completion_breaches():
    clock = SlaClock.start(
        metric=Metric.FIRST_RESPONSE, policy=policy(), at=oslo(2026, 11, 24, 10, 0)
    )
    assert clock.complete(at=oslo(2026, 11, 24, 11, 0), calendar=NORDIC_OFFICE).state is (
        ClockState.ACHIEVED
    )
    late = clock.complete(at=oslo(2026, 11, 25, 11, 0), calendar=NORDIC_OFFICE)
    assert late.state is ClockState.BREACHED
    assert late.pending_thresholds() == ()


def test_a_priority_change_retargets_and_keeps_counted_time():
    clock = SlaClock.start(
        metric=Metric.FIRST_RESPONSE, policy=policy(), at=oslo(2026, 11, 24, 10, 0)
    )
    clock, _ = clock.fire_due(at=oslo(2026, 11, 24, 12, 30), calendar=NORDIC_OFFICE)
    urgent = clock.retarget(policy=policy("urgent", first_response=timedelta(hours=2)))
    assert urgent.fired == {0.5}
    assert urgent.next_due(calendar=NORDIC_OFFICE) == (0.75, oslo(2026, 11, 24, 11, 30))
    clock, fired = urgent.fire_due(at=oslo(2026, 11, 24, 12, 30), calendar=NORDIC_OFFICE)
    assert fired == (0.75, 1.0)


# --- property tests -------------------------------------------------------------------

instants = st.datetimes(datetime(2025, 12, 1), datetime(2027, 2, 1), timezones=st.just(UTC))
targets = st.integers(60, 200 * 3600).map(lambda seconds: timedelta(seconds=seconds))
gaps = st.integers(0, 30 * 24 * 3600).map(lambda seconds: timedelta(seconds=seconds))
calendars = st.sampled_from([NORDIC_OFFICE, ALWAYS])


def clock_for(target: timedelta, start: datetime) -> SlaClock:
    return SlaClock.start(
        metric=Metric.RESOLUTION,
        policy=SlaPolicy("p", (), {Metric.RESOLUTION: target}),
        at=start,
    )


@given(calendars, instants, targets, gaps, gaps, st.sampled_from([0.5, 0.75, 1.0]))
def test_pausing_never_shortens_a_deadline(
    calendar, start, target, until_pause, pause_length, fraction
):
    clock = clock_for(target, start)
    pause_at = start + until_pause
    resumed = clock.pause(at=pause_at, calendar=calendar).resume(at=pause_at + pause_length)
    assert resumed.due_at(fraction, calendar=calendar) >= clock.due_at(fraction, calendar=calendar)


@given(calendars, instants, targets, gaps, gaps)
def test_a_paused_clock_keeps_its_remaining_time(
    calendar, start, target, until_pause, pause_length
):
    clock = clock_for(target, start)
    pause_at = start + until_pause
    resumed = clock.pause(at=pause_at, calendar=calendar).resume(at=pause_at + pause_length)
    counted = min(calendar.business_time_between(start, pause_at), target)
    expected = calendar.add_business_time(pause_at + pause_length, target - counted)
    if calendar.business_time_between(start, pause_at) < target:
        assert resumed.due_at(1.0, calendar=calendar) == expected


@given(calendars, instants, targets, st.lists(gaps, max_size=6))
def test_thresholds_fire_in_order_and_exactly_once(calendar, start, target, steps):
    clock, fired_all, now = clock_for(target, start), [], start
    for step in [*steps, timedelta(days=400)]:
        now += step
        clock, fired = clock.fire_due(at=now, calendar=calendar)
        fired_all += fired
    assert fired_all == [0.5, 0.75, 1.0]
    assert clock.state is ClockState.BREACHED


@given(calendars, instants, targets)
def test_warnings_come_before_the_breach(calendar, start, target):
    clock = clock_for(target, start)
    dues = [clock.due_at(fraction, calendar=calendar) for fraction in (0.5, 0.75, 1.0)]
    assert dues == sorted(dues)
    assert is_open(calendar, dues[-1] - timedelta(microseconds=1))
