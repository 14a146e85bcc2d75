"""Committed schemas are current, and only backward-compatible changes pass."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from switchboard.contracts.events import REGISTRY, CaseOpened
from switchboard.contracts.registry import Registry
from switchboard.contracts.schemas.cli import ASYNCAPI_PATH, check, generate, main
from switchboard.contracts.schemas.compat import breaking_changes
from switchboard.contracts.schemas.generate import SCHEMA_DIR, schema_of, schema_path


def _load_changes():
    path = Path(__file__).parent / "fixtures" / "case_opened_changes.py"
    spec = importlib.util.spec_from_file_location("case_opened_changes", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


changes = _load_changes()
OLD = schema_of(CaseOpened)


def problems(model) -> list[str]:
    return [str(p) for p in breaking_changes(OLD, schema_of(model))]


def test_committed_schemas_and_asyncapi_are_current():
    assert check(REGISTRY, asyncapi=ASYNCAPI_PATH) == []


def test_committed_schemas_have_their_identity():
    for model in REGISTRY:
        committed = json.loads(schema_path(model).read_text())
        assert committed["$id"] == model.dataschema()
        assert committed["title"] == model.__name__
        assert committed["x-cloudevents-type"] == model.event_type


def test_the_command_passes_on_the_committed_tree():
    assert main(["check"]) == 0


@pytest.mark.parametrize("model", [changes.ADDED_OPTIONAL, changes.REWORDED])
def test_compatible_changes(model):
    assert problems(model) == []


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        (changes.REMOVED, ["$.properties.language_confidence: property was removed"]),
        (changes.ADDED_REQUIRED, ["$.properties.queue_id: required property was added"]),
        (
            changes.RETYPED,
            [
                "$.properties.language_confidence.maximum: maximum 1.0 was removed",
                "$.properties.language_confidence.minimum: minimum 0.0 was removed",
                "$.properties.language_confidence.type: changed from 'number' to 'string'",
            ],
        ),
        (
            changes.NOW_REQUIRED,
            [
                "$.properties.vip.default: default False was removed",
                "$.required: vip became required",
            ],
        ),
        (
            changes.WIDER_ENUM,
            [
                "$.properties.channel.enum: changed from ['phone', 'email', 'chat', 'social'] "
                "to ['phone', 'email', 'chat', 'social', 'sms']"
            ],
        ),
        (
            changes.TIGHTER,
            ["$.properties.subject.anyOf[0].maxLength: changed from 200 to 100"],
        ),
    ],
    ids=["removed", "added-required", "retyped", "now-required", "wider-enum", "tighter"],
)
def test_breaking_changes(model, expected):
    assert problems(model) == expected


def test_optional_becoming_required_or_back_are_both_breaking():
    assert breaking_changes(schema_of(changes.NOW_REQUIRED), OLD) != []


def registry_of(model) -> Registry:
    registry = Registry()
    registry.register(model)
    return registry


def test_check_and_generate_with_a_breaking_change(tmp_path):
    assert generate(registry_of(CaseOpened), tmp_path) == []
    committed = schema_path(CaseOpened, tmp_path).read_text()

    found = check(registry_of(changes.REMOVED), tmp_path)
    refused = generate(registry_of(changes.REMOVED), tmp_path)

    problem = "$.properties.language_confidence: property was removed"
    assert found == [f"switchboard.case.opened v1: breaking change at {problem}"]
    assert refused == [f"switchboard.case.opened v1: {problem}"]
    assert schema_path(CaseOpened, tmp_path).read_text() == committed
    assert generate(registry_of(changes.REMOVED), tmp_path, force=True) == []
    assert check(registry_of(changes.REMOVED), tmp_path) == []


def test_check_and_generate_with_an_optional_field(tmp_path):
    generate(registry_of(CaseOpened), tmp_path)

    assert check(registry_of(changes.ADDED_OPTIONAL), tmp_path) == [
        "switchboard.case.opened v1: committed schema is stale; run generate"
    ]
    assert generate(registry_of(changes.ADDED_OPTIONAL), tmp_path) == []
    assert check(registry_of(changes.ADDED_OPTIONAL), tmp_path) == []


def test_missing_and_orphaned_schemas(tmp_path):
    orphan = tmp_path / "switchboard.case.vanished" / "v1.json"
    orphan.parent.mkdir()
    orphan.write_text("{}")

    assert check(registry_of(CaseOpened), tmp_path) == [
        "switchboard.case.opened v1: no committed schema; run generate",
        "switchboard.case.vanished/v1.json: committed but no longer registered",
    ]


def test_schemas_live_in_the_package():
    assert SCHEMA_DIR.is_relative_to(Path(__file__).parents[1] / "src")


def test_a_new_version_needs_an_upcaster(tmp_path):
    from typing import ClassVar

    class OpenedV2(changes.REMOVED):
        version: ClassVar[int] = 2

    registry = registry_of(CaseOpened)
    registry.register(OpenedV2)
    generate(registry, tmp_path)

    assert check(registry, tmp_path) == ["switchboard.case.opened v2: no upcaster from v1"]
    registry.register_upcaster("switchboard.case.opened", 1, dict)
    assert check(registry, tmp_path) == []
