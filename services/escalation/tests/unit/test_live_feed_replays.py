"""The live feed shows an event once: a dead letter replayed for a consumer group is not
shown again (coordinators saw the original when it was raised)."""

from __future__ import annotations

from typing import ClassVar

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import Envelope, encode
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic
from switchboard.escalation.adapters.live_feed import LiveFeed
from switchboard.servicekit.auth import Principal, Role
from switchboard.servicekit.consumer.dead_letter import replay_headers


class Flagged(Event):
    event_type: ClassVar[str] = "test.flagged"
    topic: ClassVar[Topic] = Topic("test-flagged", "tests", "key", "test events")
    key_field: ClassVar[str] = "key"
    key: str
    region: str


def test_a_replayed_record_is_not_shown_twice():
    registry = Registry()
    registry.register(Flagged)
    feed = LiveFeed(bootstrap_servers="127.0.0.1:9", topic="test-flagged", registry=registry)
    record = encode(Envelope(Flagged(key="e-1", region="nordics"), source="/tests"))
    replayed = replay_headers(record.headers, group="escalation", source=("dlq", 0, 3))
    with feed.subscribe(Principal("root", Role.ADMIN)) as subscription:
        feed._forward(record.value, list(record.headers))
        feed._forward(record.value, replayed)
        assert subscription.queue.qsize() == 1
        assert subscription.queue.get_nowait().region == "nordics"
