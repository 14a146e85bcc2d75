"""The AsyncAPI 3 document describes every topic and message, and is committed current."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft7Validator

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.events import REGISTRY
from switchboard.contracts.schemas.cli import ASYNCAPI_PATH
from switchboard.contracts.topics import ALL_TOPICS


def test_committed_document_is_current():
    assert json.loads(ASYNCAPI_PATH.read_text()) == build_asyncapi(REGISTRY)


def test_every_topic_is_a_channel_with_its_messages():
    doc = build_asyncapi(REGISTRY)

    assert doc["asyncapi"] == "3.0.0"
    assert {c["address"] for c in doc["channels"].values()} == {t.name for t in ALL_TOPICS}
    listed = {m for c in doc["channels"].values() for m in c["messages"]}
    assert listed == {f"{m.event_type}.v{m.version}" for m in REGISTRY}
    assert {o["action"] for o in doc["operations"].values()} == {"send"}


def test_every_reference_resolves():
    doc = build_asyncapi(REGISTRY)

    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                target = doc
                for part in node["$ref"].removeprefix("#/").split("/"):
                    target = target[part]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(doc)


def test_payload_schemas_validate_real_data():
    doc = build_asyncapi(REGISTRY)
    message = doc["components"]["messages"]["switchboard.case.opened.v1"]
    schema = {**message["payload"], "components": doc["components"]}
    data = {
        "case_id": "c1",
        "customer_id": "u1",
        "region": "nordics",
        "channel": "chat",
        "opened_at": "2026-11-24T09:00:00+01:00",
        "first_contact_id": "k1",
        "language": "fi",
        "language_confidence": 0.8,
        "priority": 3,
    }

    Draft7Validator(schema).validate(data)
    with pytest.raises(Exception, match="'fax' is not one of"):
        Draft7Validator(schema).validate(data | {"channel": "fax"})


def test_headers_pin_the_cloudevents_type_and_schema():
    doc = build_asyncapi(REGISTRY)
    headers = doc["components"]["messages"]["switchboard.sla.breached.v1"]["headers"]

    assert headers["properties"]["ce_type"] == {"const": "switchboard.sla.breached"}
    assert headers["properties"]["ce_dataschema"] == {
        "const": "urn:switchboard:schema:switchboard.sla.breached:v1"
    }


def test_a_service_sends_what_it_writes_and_receives_the_rest():
    doc = build_asyncapi(REGISTRY, "routing")
    actions = {
        o["channel"]["$ref"].rsplit("/", 1)[-1]: o["action"] for o in doc["operations"].values()
    }

    assert actions["assignments"] == actions["agent-status"] == "send"
    assert actions["cases"] == "receive"
    assert doc["info"]["title"] == "Switchboard events: routing"


def test_a_service_can_name_what_it_reads():
    doc = build_asyncapi(
        REGISTRY, "feedback", reads=["switchboard.assignments", "switchboard.cases"]
    )
    actions = sorted((o["action"], o["channel"]["$ref"]) for o in doc["operations"].values())

    assert actions == [
        ("receive", "#/channels/assignments"),
        ("receive", "#/channels/cases"),
        ("send", "#/channels/feedback-alerts"),
        ("send", "#/channels/surveys"),
    ]
