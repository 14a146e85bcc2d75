"""Dead-letter headers keep the original ones; a replayed record is for its group only."""

from __future__ import annotations

from typing import ClassVar

from aiokafka import ConsumerRecord

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.servicekit.consumer import HandlerTable
from switchboard.servicekit.consumer.dead_letter import (
    REPLAY_GROUP,
    REPLAYED_FROM,
    dead_letter_headers,
    meant_for,
    original_headers,
    replay_group,
    replay_headers,
)


class Poked(Event):
    event_type: ClassVar[str] = "test.poked"
    topic: ClassVar[Topic] = Topic("test-poked", "tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str


def record(headers: list[tuple[str, bytes]]) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="test-poked",
        partition=2,
        offset=41,
        timestamp=0,
        timestamp_type=0,
        key=b"k-1",
        value=b"{}",
        checksum=None,
        serialized_key_size=3,
        serialized_value_size=2,
        headers=headers,
    )


async def nothing(envelope, uow):
    return None


def table(group: str) -> HandlerTable:
    registry = Registry()
    registry.register(Poked)
    return HandlerTable(group_id=group, registry=registry, handlers={Poked: nothing})


def test_a_dead_letter_keeps_the_original_headers_and_says_why():
    original = encode(Envelope(Poked(key="k-1"), source="/tests")).headers
    stale = [*original, ("dlq-reason", b"an earlier failure")]
    headers = dead_letter_headers(
        record(stale), group="g1", reason="boom", error="RuntimeError", attempts=4
    )
    named = dict(headers)
    assert headers[: len(original)] == original
    assert named["dlq-reason"] == b"boom"
    assert named["dlq-error-type"] == b"RuntimeError"
    assert named["dlq-attempts"] == b"4"
    assert named["dlq-consumer-group"] == b"g1"
    assert (named["dlq-original-topic"], named["dlq-original-partition"]) == (b"test-poked", b"2")
    assert named["dlq-original-offset"] == b"41"
    assert [k for k, _ in headers].count("dlq-reason") == 1, "an earlier failure is not kept"
    assert original_headers(headers) == original


def test_a_replay_carries_the_original_headers_and_its_group():
    original = encode(Envelope(Poked(key="k-1"), source="/tests")).headers
    dead = dead_letter_headers(
        record(original), group="g1", reason="boom", error="RuntimeError", attempts=4
    )
    replayed = replay_headers(dead, group="g1", source=("switchboard.dlq.g1", 0, 7))
    assert replayed[: len(original)] == original
    assert replayed[len(original) :] == [
        (REPLAY_GROUP, b"g1"),
        (REPLAYED_FROM, b"switchboard.dlq.g1/0/7"),
    ]
    assert replay_group(replayed) == "g1"
    assert replay_group(original) is None
    again = dead_letter_headers(
        record(replayed), group="g1", reason="still", error="RuntimeError", attempts=4
    )
    assert replay_group(again) is None, "a replay dead-lettered again is a plain dead letter"


def test_only_the_named_group_handles_a_replayed_record():
    original = encode(Envelope(Poked(key="k-1"), source="/tests")).headers
    replayed = [*original, (REPLAY_GROUP, b"g1")]
    assert meant_for(original, "g1")
    assert meant_for(original, "g2")
    assert meant_for(replayed, "g1")
    assert not meant_for(replayed, "g2")
    assert not meant_for([(REPLAY_GROUP, None)], "g1")
    assert table("g1").wants(replayed)
    assert not table("g2").wants(replayed)
    assert table("g2").wants(original)


def test_a_replay_for_the_group_still_obeys_the_type_rule():
    others = [("ce_type", b"test.somebody-elses"), (REPLAY_GROUP, b"g1")]
    assert not table("g1").wants(others)
    assert table("g1").wants([(REPLAY_GROUP, b"g1")]), "no type header: decoded as usual"
