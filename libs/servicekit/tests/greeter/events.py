"""The greeter's events (a real service's live in libs/contracts)."""

from __future__ import annotations

from typing import ClassVar

from switchboard.contracts.base import Event
from switchboard.contracts.registry import Registry
from switchboard.contracts.topics import Topic

VISITS = Topic("test.greeter.visits", "doorbell", "visitor", "someone came to the door")
GREETINGS = Topic("test.greeter.greetings", "greeter", "visitor", "what the greeter said")

REGISTRY = Registry()


@REGISTRY.register
class VisitorArrived(Event):
    event_type: ClassVar[str] = "test.visitor.arrived"
    topic: ClassVar[Topic] = VISITS
    key_field: ClassVar[str] = "visitor"
    visitor: str
    language: str = "en"


@REGISTRY.register
class VisitorGreeted(Event):
    event_type: ClassVar[str] = "test.visitor.greeted"
    topic: ClassVar[Topic] = GREETINGS
    key_field: ClassVar[str] = "visitor"
    visitor: str
    words: str
    farewell: bool = False
