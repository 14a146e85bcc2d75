"""An AsyncAPI 3.0 document of every topic and message, built from the registry."""

from __future__ import annotations

import copy
from collections.abc import Iterable
from importlib import metadata
from typing import Any

from switchboard.contracts.base import Event
from switchboard.contracts.envelope import CONTENT_TYPE, SPEC_VERSION
from switchboard.contracts.registry import Registry
from switchboard.contracts.schemas.generate import schema_of
from switchboard.contracts.topics import ALL_TOPICS, Topic

KAFKA_BINDING = "0.5.0"


def build_asyncapi(
    registry: Registry,
    service: str | None = None,
    *,
    reads: Iterable[str] | None = None,
) -> dict[str, Any]:
    """The document of the registry's events for one service (its ``send`` and
    ``receive`` operations) or for all.

    Without ``service`` every topic has its writer's ``send`` operation. With it, the
    service sends on the topics it writes and receives on the others, or only on ``reads``
    (topic names) when given.
    """
    by_topic = registry.topics()
    topics = [t for t in ALL_TOPICS if t.name in by_topic]
    schemas: dict[str, Any] = {}
    messages = {_message_id(m): _message(m, schemas) for m in registry}
    read_set = set(reads) if reads is not None else None
    operations: dict[str, Any] = {}
    for topic in topics:
        action = _action(topic, service, read_set)
        if action:
            operations[f"{action}{_pascal(_channel_id(topic))}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{_channel_id(topic)}"},
                "summary": f"{topic.writer} writes; key: {topic.key}",
                "messages": [
                    {"$ref": f"#/channels/{_channel_id(topic)}/messages/{_message_id(m)}"}
                    for m in by_topic[topic.name]
                ],
            }
    return {
        "asyncapi": "3.0.0",
        "info": _info(service),
        "defaultContentType": CONTENT_TYPE,
        "channels": {_channel_id(t): _channel(t, by_topic[t.name]) for t in topics},
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }


def _action(topic: Topic, service: str | None, reads: set[str] | None) -> str | None:
    if service is None or topic.writer == service:
        return "send"
    if reads is None or topic.name in reads:
        return "receive"
    return None


def _info(service: str | None) -> dict[str, Any]:
    try:
        version = metadata.version("switchboard-contracts")
    except metadata.PackageNotFoundError:
        version = "0.0.0"
    title = "Switchboard events" + (f": {service}" if service else "")
    return {
        "title": title,
        "version": version,
        "description": (
            "CloudEvents 1.0 in Kafka binary mode: attributes in ce_* headers, JSON data in "
            "the value, the aggregate id as the key, W3C traceparent in the headers."
        ),
    }


def _channel(topic: Topic, models: list[type[Event]]) -> dict[str, Any]:
    return {
        "address": topic.name,
        "description": f"{topic.description} Written by {topic.writer}; key: {topic.key}.",
        "messages": {
            _message_id(m): {"$ref": f"#/components/messages/{_message_id(m)}"} for m in models
        },
        "bindings": {"kafka": {"topic": topic.name, "bindingVersion": KAFKA_BINDING}},
    }


def _message(model: type[Event], schemas: dict[str, Any]) -> dict[str, Any]:
    schema_id = _message_id(model)
    schemas[schema_id] = _hoist(schema_of(model), schemas)
    return {
        "name": model.event_type,
        "title": f"{model.__name__} v{model.version}",
        "summary": (model.__doc__ or "").strip().splitlines()[0] if model.__doc__ else "",
        "contentType": CONTENT_TYPE,
        "headers": _headers(model),
        "payload": {"$ref": f"#/components/schemas/{schema_id}"},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": model.key_field},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }


def _headers(model: type[Event]) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "description": "CloudEvents Kafka binding, binary content mode.",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_time",
            "ce_subject",
            "ce_dataschema",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"const": SPEC_VERSION},
            "ce_id": text,
            "ce_source": {**text, "description": "The writing service, e.g. /switchboard/intake"},
            "ce_type": {"const": model.event_type},
            "ce_time": {**text, "format": "date-time"},
            "ce_subject": {**text, "description": model.subject_field or model.key_field},
            "ce_dataschema": {"const": model.dataschema()},
            "content-type": {"const": CONTENT_TYPE},
            "traceparent": {**text, "description": "W3C trace context"},
            "tracestate": text,
        },
    }


def _hoist(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """Move ``$defs`` into ``components.schemas`` so references resolve in the document."""
    schema = copy.deepcopy(schema)
    for name, definition in schema.pop("$defs", {}).items():
        definition = _rewrite_refs(definition)
        if schemas.setdefault(name, definition) != definition:
            raise ValueError(f"two different schemas are both named {name!r}")
    # $id and $schema would rebase the references; keep the id as an annotation.
    schema.pop("$schema", None)
    schema["x-dataschema"] = schema.pop("$id")
    rewritten: dict[str, Any] = _rewrite_refs(schema)
    return rewritten


def _rewrite_refs(node: Any) -> Any:
    if isinstance(node, dict):
        return {
            k: v.replace("#/$defs/", "#/components/schemas/")
            if k == "$ref" and isinstance(v, str)
            else _rewrite_refs(v)
            for k, v in node.items()
        }
    if isinstance(node, list):
        return [_rewrite_refs(v) for v in node]
    return node


def _message_id(model: type[Event]) -> str:
    return f"{model.event_type}.v{model.version}"


def _channel_id(topic: Topic) -> str:
    return topic.name.removeprefix("switchboard.")


def _pascal(name: str) -> str:
    return "".join(part.capitalize() for part in name.replace("_", "-").split("-"))
