"""Hypothesis strategies that draw valid event data from each model's own JSON Schema."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import strategies as st
from pydantic import ValidationError

from switchboard.contracts.base import Event

Strategy = st.SearchStrategy[Any]

_offsets = st.integers(-14 * 60, 14 * 60).map(lambda m: timezone(timedelta(minutes=m)))
_datetimes = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=_offsets
).map(lambda d: d.isoformat())


def strategy_for(node: dict[str, Any], root: dict[str, Any]) -> Strategy:
    if "$ref" in node:
        target = root["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        return strategy_for({**target, **{k: v for k, v in node.items() if k != "$ref"}}, root)
    if "const" in node:
        return st.just(node["const"])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    if "anyOf" in node:
        return st.one_of(*(strategy_for(option, root) for option in node["anyOf"]))
    kind = node.get("type")
    if kind == "object" or "properties" in node:
        props = {name: strategy_for(p, root) for name, p in node.get("properties", {}).items()}
        required = set(node.get("required", ()))
        return st.fixed_dictionaries(
            {k: v for k, v in props.items() if k in required},
            optional={k: v for k, v in props.items() if k not in required},
        )
    if kind == "array":
        return st.lists(
            strategy_for(node.get("items", {}), root),
            min_size=node.get("minItems", 0),
            max_size=min(node.get("maxItems", 3), 3),
        )
    if kind == "string":
        return _string(node)
    if kind == "integer":
        return st.integers(node.get("minimum", -1000), node.get("maximum", 1000))
    if kind == "number":
        return st.floats(
            min_value=node.get("minimum", node.get("exclusiveMinimum", 0.0)),
            max_value=node.get("maximum", node.get("exclusiveMaximum", 1e9)),
            exclude_min="exclusiveMinimum" in node,
            exclude_max="exclusiveMaximum" in node,
            allow_nan=False,
        )
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    raise AssertionError(f"no strategy for {node}")


def _string(node: dict[str, Any]) -> Strategy:
    if node.get("format") == "date-time":
        return _datetimes
    low, high = node.get("minLength", 0), node.get("maxLength", 50)
    if "pattern" in node:
        base = st.from_regex(node["pattern"], fullmatch=True)
    else:
        base = st.text(min_size=low, max_size=min(high, 60))
    return base.filter(lambda s: low <= len(s) <= high)


def events_of(model: type[Event]) -> st.SearchStrategy[Event]:
    schema = model.model_json_schema()

    def build(data: dict[str, Any]) -> Event | None:
        try:
            return model.model_validate(data)
        except ValidationError:  # a cross-field rule, e.g. a transfer with no destination
            return None

    return strategy_for(schema, schema).map(build).filter(lambda e: e is not None)


@pytest.fixture(scope="session")
def event_strategy() -> Callable[[type[Event]], st.SearchStrategy[Event]]:
    return events_of
