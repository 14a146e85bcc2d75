import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.intake.domain.priority import PriorityPolicy, escalate_on_reopen
from switchboard.intake.domain.values import Channel, Priority

policy = PriorityPolicy()


@pytest.mark.parametrize(
    ("channel", "expected"),
    [
        (Channel.PHONE, Priority.HIGH),
        (Channel.CHAT, Priority.HIGH),
        (Channel.EMAIL, Priority.NORMAL),
        (Channel.SOCIAL, Priority.NORMAL),
    ],
)
def test_channel_defaults_apply_without_a_requested_priority(channel, expected):
    assert policy.resolve(channel=channel, requested=None, vip=False) is expected


def test_a_requested_priority_wins_over_the_channel_default():
    assert policy.resolve(channel=Channel.PHONE, requested=Priority.LOW, vip=False) is Priority.LOW


def test_a_vip_is_raised_to_the_floor_but_never_lowered():
    assert policy.resolve(channel=Channel.EMAIL, requested=None, vip=True) is Priority.HIGH
    assert policy.resolve(channel=Channel.EMAIL, requested=Priority.URGENT, vip=True) is (
        Priority.URGENT
    )


def test_a_public_low_priority_post_is_raised_to_normal():
    resolved = policy.resolve(
        channel=Channel.SOCIAL, requested=Priority.LOW, vip=False, public=True
    )
    assert resolved is Priority.NORMAL


def test_configured_channel_defaults_are_used():
    custom = PriorityPolicy(channel_defaults={Channel.EMAIL: Priority.LOW})
    assert custom.resolve(channel=Channel.EMAIL, requested=None, vip=False) is Priority.LOW
    assert custom.resolve(channel=Channel.CHAT, requested=None, vip=False) is Priority.NORMAL


priorities = st.sampled_from(list(Priority))


@given(
    channel=st.sampled_from(list(Channel)),
    requested=st.none() | priorities,
    public=st.booleans(),
)
def test_being_vip_never_makes_a_case_less_urgent(channel, requested, public):
    plain = policy.resolve(channel=channel, requested=requested, vip=False, public=public)
    vip = policy.resolve(channel=channel, requested=requested, vip=True, public=public)
    assert vip <= plain
    assert vip <= policy.vip_floor


@given(current=priorities, incoming=priorities)
def test_reopening_keeps_the_more_urgent_priority(current, incoming):
    assert escalate_on_reopen(current=current, incoming=incoming) == min(current, incoming)
