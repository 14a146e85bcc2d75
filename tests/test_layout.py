"""Every service has the one layout the README documents, and nothing else at its top."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "routing", "escalation", "feedback")


def documented_layout() -> set[str]:
    """The entries listed in the README's layout table for ``src/switchboard/<service>/``."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"src/switchboard/<service>/\{([^}]*)\}", readme)
    assert found, "the README's layout table names each service's top level"
    return {entry.strip() for entry in found.group(1).split(",")}


def top_level(service: str) -> set[str]:
    package = ROOT / "services" / service / "src" / "switchboard" / service
    return {
        f"{path.name}/" if path.is_dir() else path.name
        for path in package.iterdir()
        if path.name not in {"__init__.py", "__pycache__", "py.typed"}
    }


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_has_exactly_the_documented_top_level(service: str) -> None:
    assert top_level(service) == documented_layout()


@pytest.mark.parametrize("service", SERVICES)
def test_a_service_keeps_its_tests_in_unit_and_integration(service: str) -> None:
    tests = ROOT / "services" / service / "tests"
    assert {p.name for p in tests.iterdir() if p.is_dir() and p.name != "__pycache__"} <= {
        "unit",
        "integration",
    }
