"""Consumer runner: typed decode, inbox dedupe in the handler's transaction, dead letters."""

from switchboard.servicekit.consumer.handling import BatchHandler, Handler, HandlerTable
from switchboard.servicekit.consumer.inbox import record_once
from switchboard.servicekit.consumer.runner import ConsumerRunner

__all__ = ["BatchHandler", "ConsumerRunner", "Handler", "HandlerTable", "record_once"]
