"""Consumer runner: typed decode, inbox dedupe in the handler's transaction, dead letters."""

from switchboard.servicekit.consumer.inbox import record_once
from switchboard.servicekit.consumer.runner import BatchHandler, ConsumerRunner, Handler

__all__ = ["BatchHandler", "ConsumerRunner", "Handler", "record_once"]
