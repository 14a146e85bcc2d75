"""``python -m switchboard.contracts.schemas check|generate [--force]``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from switchboard.contracts.asyncapi import build_asyncapi
from switchboard.contracts.registry import Registry
from switchboard.contracts.schemas.compat import breaking_changes
from switchboard.contracts.schemas.generate import SCHEMA_DIR, dumps, read, schema_of, schema_path

ASYNCAPI_PATH = Path(__file__).parents[4] / "asyncapi.json"


def check(registry: Registry, root: Path = SCHEMA_DIR, asyncapi: Path | None = None) -> list[str]:
    """Problems that fail the build: missing, stale, breaking or orphaned schemas."""
    problems: list[str] = []
    expected: set[Path] = set()
    for model in registry:
        path = schema_path(model, root)
        expected.add(path)
        committed, generated = read(path), schema_of(model)
        name = f"{model.event_type} v{model.version}"
        if model.version > 1 and not registry.has_upcaster(model.event_type, model.version - 1):
            problems.append(f"{name}: no upcaster from v{model.version - 1}")
        if committed is None:
            problems.append(f"{name}: no committed schema; run generate")
        elif committed != generated:
            breaking = breaking_changes(committed, generated)
            problems += [f"{name}: breaking change at {p}" for p in breaking]
            if not breaking:
                problems.append(f"{name}: committed schema is stale; run generate")
    for path in sorted(set(root.glob("*/v*.json")) - expected):
        problems.append(f"{path.relative_to(root)}: committed but no longer registered")
    if asyncapi is not None and read(asyncapi) != build_asyncapi(registry):
        problems.append(f"{asyncapi.name} is stale; run generate")
    return problems


def generate(
    registry: Registry,
    root: Path = SCHEMA_DIR,
    asyncapi: Path | None = None,
    *,
    force: bool = False,
) -> list[str]:
    """Write every schema (and the AsyncAPI document); refuse breaking changes unless forced."""
    refused: list[str] = []
    writes: dict[Path, str] = {}
    for model in registry:
        path = schema_path(model, root)
        committed, generated = read(path), schema_of(model)
        if committed is not None and not force:
            for problem in breaking_changes(committed, generated):
                refused.append(f"{model.event_type} v{model.version}: {problem}")
        writes[path] = dumps(generated)
    if refused:
        return refused
    if asyncapi is not None:
        writes[asyncapi] = dumps(build_asyncapi(registry))
    for path, text in writes.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return []


def main(argv: Sequence[str] | None = None) -> int:
    from switchboard.contracts.events import REGISTRY

    parser = argparse.ArgumentParser(prog="python -m switchboard.contracts.schemas")
    parser.add_argument("command", choices=["check", "generate"])
    parser.add_argument("--force", action="store_true", help="overwrite breaking changes")
    args = parser.parse_args(argv)
    asyncapi = ASYNCAPI_PATH if ASYNCAPI_PATH.parent.joinpath("pyproject.toml").exists() else None
    if args.command == "check":
        problems = check(REGISTRY, asyncapi=asyncapi)
    else:
        problems = generate(REGISTRY, asyncapi=asyncapi, force=args.force)
        if problems:
            problems.append(
                "a breaking change needs a new event version with an upcaster (or --force)"
            )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0
