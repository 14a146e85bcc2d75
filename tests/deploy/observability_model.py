"""What the dashboards and rules may name: the metrics the code registers (every module of
the switchboard packages imported, in a child process) and the series the rules record; and
the PromQL of deploy/prometheus/rules and deploy/grafana/dashboards, read with a regex."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "deploy" / "prometheus" / "rules"
RULE_TESTS = ROOT / "deploy" / "prometheus" / "tests"
GRAFANA = ROOT / "deploy" / "grafana"
DASHBOARDS = GRAFANA / "dashboards"

PROMETHEUS_OWN = {"up": (), "ALERTS": ("alertname", "alertstate", "severity")}
"""Series Prometheus makes itself (a scrape's `up`, the firing alerts)."""
TARGET_LABELS = ("job", "instance")
"""Labels Prometheus adds to every scraped series."""

_EXPORTED = """
import importlib, json, pkgutil
import switchboard
from prometheus_client import REGISTRY
for module in pkgutil.walk_packages(switchboard.__path__, "switchboard."):
    if ".migrations" not in module.name and not module.name.endswith("__main__"):
        importlib.import_module(module.name)
SUFFIXES = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"],
            "summary": ["_count", "_sum", ""], "info": ["_info"]}
names = {}
for collector in list(REGISTRY._collector_to_names):
    labels = list(getattr(collector, "_labelnames", ()))
    for family in collector.collect():
        extra = {"histogram": ["le"], "summary": ["quantile"]}.get(family.type, [])
        for suffix in SUFFIXES.get(family.type, [""]):
            names[family.name + suffix] = labels + (extra if suffix in ("_bucket", "") else [])
        for sample in family.samples:
            names.setdefault(sample.name, sorted(sample.labels))
print(json.dumps(names))
"""


def exported_metrics() -> dict[str, set[str]]:
    """Metric name → its label names, as /metrics of the services can show them."""
    run = subprocess.run(
        [sys.executable, "-c", _EXPORTED], capture_output=True, text=True, timeout=300, check=True
    )
    return {name: set(labels) for name, labels in json.loads(run.stdout).items()}


@dataclass(frozen=True)
class Expression:
    where: str
    promql: str


def rule_groups() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path in sorted(RULES.glob("*.yml")):
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["groups"]:
            yield path, group


def rules() -> Iterator[tuple[Path, dict[str, Any]]]:
    for path, group in rule_groups():
        for rule in group["rules"]:
            yield path, rule


def recorded() -> set[str]:
    return {rule["record"] for _, rule in rules() if "record" in rule}


def dashboards() -> dict[Path, dict[str, Any]]:
    return {
        path: json.loads(path.read_text(encoding="utf-8"))
        for path in sorted(DASHBOARDS.glob("*.json"))
    }


def panels(board: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in board.get("panels", []):
        yield panel
        yield from panel.get("panels", [])  # a collapsed row's


def expressions() -> Iterator[Expression]:
    for path, rule in rules():
        name = rule.get("record") or rule.get("alert")
        yield Expression(f"{path.name}: {name}", rule["expr"])
    for path, board in dashboards().items():
        for panel in panels(board):
            for target in panel.get("targets", []):
                yield Expression(f"{path.name}: {panel['title']}", target["expr"])
        for variable in board.get("templating", {}).get("list", []):
            if variable.get("type") == "query":
                query = variable["query"]
                text = query["query"] if isinstance(query, dict) else query
                yield Expression(f"{path.name}: ${variable['name']}", text)


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"([A-Za-z_:][A-Za-z0-9_:]*)?\s*\{([^}]*)\}")
_MATCHER = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)")
_CLAUSE = re.compile(
    r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)", re.IGNORECASE
)
_LABEL_VALUES = re.compile(r"\blabel_values\(\s*(.*?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)$")
_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9_:.$])([A-Za-z_:][A-Za-z0-9_:]*)(?![A-Za-z0-9_:]|\s*\()")
KEYWORDS = {"and", "or", "unless", "bool", "offset", "by", "without", "on", "ignoring",
            "group_left", "group_right", "inf", "nan", "atop"}  # fmt: skip


def selected(promql: str) -> list[tuple[str, set[str]]]:
    """(metric name, label names matched) of each selector in the expression; a bare name
    matches no labels. Grafana's label_values(selector, label) is read as its selector."""
    text = promql.strip()
    if match := _LABEL_VALUES.match(text):
        text = match.group(1)
    found: list[tuple[str, set[str]]] = []
    masked = _STRING.sub('""', text)

    def take(selector: re.Match[str]) -> str:
        found.append((selector.group(1) or "", set(_MATCHER.findall(selector.group(2)))))
        return " "

    rest = _SELECTOR.sub(take, masked)
    rest = re.sub(r"\[[^\]]*\]", " ", rest)  # ranges and subqueries: [5m], [1h:5m]
    rest = _CLAUSE.sub(" ", rest)
    rest = re.sub(r"\$\{?\w+\}?", " ", rest)  # Grafana variables outside selectors
    for name in _IDENTIFIER.findall(rest):
        if name.lower() not in KEYWORDS and not re.fullmatch(r"[0-9.e+-]+", name):
            found.append((name, set()))
    return found


def unknown_references(
    promql: str, exported: dict[str, set[str]], recorded_names: set[str]
) -> list[str]:
    """What the expression names that nothing exports or records: metrics, and labels a
    selector matches that the metric does not have."""
    problems = []
    known = {name: set(labels) for name, labels in exported.items()}
    known |= {name: set(labels) for name, labels in PROMETHEUS_OWN.items()}
    for name, labels in selected(promql):
        if not name:
            problems.append(f"a selector without a metric name: {promql!r}")
        elif ":" in name:
            if name not in recorded_names:
                problems.append(f"{name} is recorded by no rule")
        elif name not in known:
            problems.append(f"{name} is exported by no service")
        else:
            missing = labels - known[name] - set(TARGET_LABELS)
            if missing:
                problems.append(f"{name} has no label {sorted(missing)}")
    return problems
