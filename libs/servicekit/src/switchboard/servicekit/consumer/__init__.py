"""Consumer runner: typed decode, inbox dedupe in the handler's transaction, dead letters."""

from switchboard.servicekit.consumer.inbox import record_once
from switchboard.servicekit.consumer.runner import ConsumerRunner, Handler

__all__ = ["ConsumerRunner", "Handler", "record_once"]
