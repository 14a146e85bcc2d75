from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.model import Capacity, Channel

LOADS = st.dictionaries(st.sampled_from(list(Channel)), st.integers(0, 6))


@given(load=LOADS)
def test_open_channels_agrees_with_can_take_channel_by_channel(load):
    capacity = Capacity()
    assert capacity.open_channels(load) == [
        channel for channel in capacity.limits if capacity.can_take(channel, load)
    ]


@given(load=LOADS, channel=st.sampled_from(list(Channel)))
def test_taking_an_open_channel_keeps_the_load_within_capacity(load, channel):
    capacity = Capacity()
    if capacity.within(load) and capacity.can_take(channel, load):
        assert capacity.within({**load, channel: load.get(channel, 0) + 1})


def test_a_phone_call_blocks_everything_and_any_other_work_blocks_the_phone():
    capacity = Capacity()
    assert capacity.open_channels({Channel.PHONE: 1}) == []
    assert Channel.PHONE not in capacity.open_channels({Channel.EMAIL: 1})
    assert capacity.open_channels({Channel.CHAT: 3}) == [Channel.EMAIL, Channel.SOCIAL]
