"""JSON Schema of one event version, and where it is committed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from switchboard.contracts.base import Event

SCHEMA_DIR = Path(__file__).parent / "json"
DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schema_of(model: type[Event]) -> dict[str, Any]:
    """The schema of the JSON data of ``model``, as readers validate it."""
    body = model.model_json_schema(mode="validation")
    return {
        "$schema": DIALECT,
        "$id": model.dataschema(),
        "title": model.__name__,
        "x-cloudevents-type": model.event_type,
        "x-version": model.version,
        "x-topic": model.topic.name,
        "x-kafka-key": model.key_field,
        **{k: v for k, v in body.items() if k != "title"},
    }


def schema_path(model: type[Event], root: Path = SCHEMA_DIR) -> Path:
    return root / model.event_type / f"v{model.version}.json"


def dumps(document: dict[str, Any]) -> str:
    """The canonical text of a committed document, so that diffs stay small."""
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def read(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded
