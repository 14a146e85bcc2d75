"""Each package declares the Switchboard packages it imports, and imports those it declares.

deptry checks third-party dependencies, but it sees the whole ``switchboard`` namespace as
one local module; this checks the part it cannot: ``switchboard.<x>`` imports against the
``switchboard-*`` entries of each package's pyproject.toml (missing and unused).

    python deploy/tools/check-first-party-deps.py libs/contracts services/intake ...
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from pathlib import Path


def distribution_of(package: Path) -> dict[str, str]:
    """``switchboard.<x>`` → the distribution that ships it, for every package given."""
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    return {
        f"switchboard.{module.name}": project["name"]
        for module in (package / "src" / "switchboard").iterdir()
        if module.is_dir() and any(module.rglob("*.py"))
    }


def imported(package: Path) -> set[str]:
    """The ``switchboard.<x>`` modules the package's code imports."""
    found = set()
    for path in (package / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            found |= {".".join(n.split(".")[:2]) for n in names if n.startswith("switchboard.")}
    return found


def declared(package: Path) -> set[str]:
    project = tomllib.loads((package / "pyproject.toml").read_text())["project"]
    names = {re.split(r"[\s\[<>=!~;]", spec, maxsplit=1)[0] for spec in project["dependencies"]}
    return {name for name in names if name.startswith("switchboard-")}


def main(packages: list[Path]) -> int:
    owners: dict[str, str] = {}
    for package in packages:
        owners |= distribution_of(package)
    problems = []
    for package in packages:
        own = distribution_of(package).values()
        used = set()
        for module in sorted(imported(package)):
            if module not in owners:
                problems.append(f"{package}: imports {module}, which no package given ships")
            elif owners[module] not in own:
                used.add(owners[module])
        for name in sorted(used - declared(package)):
            problems.append(f"{package}: imports {name} but does not declare it")
        for name in sorted(declared(package) - used):
            problems.append(f"{package}: declares {name} but imports nothing of it")
    print("\n".join(problems) or f"first-party dependencies: {len(packages)} packages ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main([Path(arg) for arg in sys.argv[1:]]))
