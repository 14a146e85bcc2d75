"""Backward compatibility between a committed schema and a newly generated one.

The only compatible change is adding an optional property (and editing descriptions or
titles). Anything else — a removed property, a new required one, a changed type, format,
enum or constraint — is breaking and needs a new event version with an upcaster.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ANNOTATIONS = frozenset({"title", "description", "examples", "$comment"})
STRUCTURE = frozenset({"properties", "required", "$defs"})


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[Problem]:
    """Every change from ``old`` to ``new`` that a reader of either version could trip on."""
    return _Comparison(old, new).compare(old, new, "$", frozenset())


@dataclass
class _Comparison:
    old_root: dict[str, Any]
    new_root: dict[str, Any]

    def compare(
        self, old: Any, new: Any, path: str, seen: frozenset[tuple[str, str]]
    ) -> list[Problem]:
        if not (isinstance(old, dict) and isinstance(new, dict)):
            if old == new:
                return []
            return [Problem(path, f"changed from {_show(old)} to {_show(new)}")]
        refs = (old.get("$ref", ""), new.get("$ref", ""))
        if refs != ("", "") and refs in seen:
            return []
        seen = seen | {refs}
        old, new = _resolve(self.old_root, old), _resolve(self.new_root, new)
        problems = self._properties(old, new, path, seen)
        for key in sorted((old.keys() | new.keys()) - ANNOTATIONS - STRUCTURE):
            where = f"{path}.{key}"
            if key not in new:
                problems.append(Problem(where, f"{key} {_show(old[key])} was removed"))
            elif key not in old:
                problems.append(Problem(where, f"{key} {_show(new[key])} was added"))
            else:
                problems += self._values(old[key], new[key], where, seen)
        return problems

    def _values(
        self, old: Any, new: Any, path: str, seen: frozenset[tuple[str, str]]
    ) -> list[Problem]:
        if isinstance(old, list) and isinstance(new, list) and old != new:
            if len(old) != len(new) or not all(isinstance(x, dict) for x in old + new):
                return [Problem(path, f"changed from {_show(old)} to {_show(new)}")]
            problems: list[Problem] = []
            for i, (o, n) in enumerate(zip(old, new, strict=True)):
                problems += self.compare(o, n, f"{path}[{i}]", seen)
            return problems
        return self.compare(old, new, path, seen)

    def _properties(
        self, old: dict[str, Any], new: dict[str, Any], path: str, seen: frozenset[tuple[str, str]]
    ) -> list[Problem]:
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        problems: list[Problem] = []
        for name in sorted(old_props.keys() | new_props.keys()):
            where = f"{path}.properties.{name}"
            if name not in new_props:
                problems.append(Problem(where, "property was removed"))
            elif name not in old_props:
                if name in new_required:
                    problems.append(Problem(where, "required property was added"))
            else:
                problems += self.compare(old_props[name], new_props[name], where, seen)
        for name in sorted((new_required - old_required) & old_props.keys()):
            problems.append(Problem(f"{path}.required", f"{name} became required"))
        for name in sorted((old_required - new_required) & new_props.keys()):
            problems.append(Problem(f"{path}.required", f"{name} is no longer required"))
        return problems


def _resolve(root: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref``; keywords beside it take precedence over the target's."""
    ref = node.get("$ref")
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return node
    target: Any = root
    for part in ref[2:].split("/"):
        target = target[part.replace("~1", "/").replace("~0", "~")]
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return _resolve(root, {**target, **siblings})


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."
