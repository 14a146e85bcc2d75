"""The alert and recording rules and the Grafana dashboards against the code and the compose
file: every metric and label they name is one the services export (or a rule records),
every alert says how bad it is and what to do and has a promtool test, and the dashboards
are valid JSON on the datasource Grafana is provisioned with. `make rules-check` runs
promtool itself (syntax, rule unit tests)."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Any

import pytest
import yaml

from .compose_model import load_compose
from .observability_model import (
    GRAFANA,
    ROOT,
    RULE_TESTS,
    dashboards,
    exported_metrics,
    expressions,
    panels,
    recorded,
    rules,
    selected,
    unknown_references,
)

SEVERITIES = {"critical", "warning"}


@pytest.fixture(scope="module")
def exported() -> dict[str, set[str]]:
    return exported_metrics()


@pytest.fixture(scope="module")
def datasource() -> dict[str, Any]:
    path = GRAFANA / "provisioning" / "datasources" / "prometheus.yml"
    (source,) = yaml.safe_load(path.read_text(encoding="utf-8"))["datasources"]
    return dict(source)


def test_the_code_exports_what_the_alerts_are_about(exported: dict[str, set[str]]) -> None:
    assert {"group", "topic", "partition"} <= exported["switchboard_consumer_lag"]
    assert {"method", "route", "status"} <= exported["switchboard_http_requests_total"]
    assert {"region", "metric", "outcome"} <= exported["escalation_sla_outcomes_total"]
    assert {"stream"} <= exported["servicekit_deliveries_dead_total"]
    assert "le" in exported["switchboard_http_request_duration_seconds_bucket"]
    assert "switchboard_ready" in exported
    assert "switchboard_http_requests" not in exported  # a counter shows only as _total


def test_every_expression_names_only_exported_or_recorded_series(
    exported: dict[str, set[str]],
) -> None:
    recorded_names = recorded()
    problems = {
        f"{expression.where}: {problem}"
        for expression in expressions()
        for problem in unknown_references(expression.promql, exported, recorded_names)
    }
    assert problems == set()


def test_the_check_catches_an_unknown_metric_or_label(exported: dict[str, set[str]]) -> None:
    known = recorded()
    assert unknown_references("rate(switchboard_nope_total[5m])", exported, known) == [
        "switchboard_nope_total is exported by no service"
    ]
    assert unknown_references(
        'sum by (job) (switchboard_consumer_lag{region="nordics"})', exported, known
    ) == ["switchboard_consumer_lag has no label ['region']"]
    assert unknown_references("switchboard:nope:rate5m > 1", exported, known) == [
        "switchboard:nope:rate5m is recorded by no rule"
    ]
    assert (
        unknown_references(
            "histogram_quantile(0.95, sum by (le) (rate(switchboard_http_request_duration_seconds_"
            'bucket{job="$job", route=~"/v1/.*"}[5m]))) and on (job) up == 1',
            exported,
            known,
        )
        == []
    )


def test_the_reader_finds_every_selector() -> None:
    found = selected(
        'sum by (job) (rate(a_total{status=~"5.."}[5m])) / on (job) group_left b:c:d'
        " or vector(0) unless count(c offset 5m) > bool 1e3"
    )
    assert found == [("a_total", {"status"}), ("b:c:d", set()), ("c", set())]
    assert selected('label_values(up{job=~"intake|routing"}, instance)') == [("up", {"job"})]


def test_every_alert_has_a_severity_what_to_do_and_a_promtool_test() -> None:
    tested = {
        case["alertname"]
        for path in RULE_TESTS.glob("*.yml")
        for group in yaml.safe_load(path.read_text(encoding="utf-8"))["tests"]
        for case in group.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    alerts = [rule for _, rule in rules() if "alert" in rule]
    assert len(alerts) >= 15
    for rule in alerts:
        assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
        assert {"summary", "description", "runbook"} <= set(rule["annotations"]), rule["alert"]
        assert rule["alert"] in tested, f"{rule['alert']}: no test sees it fire"


def test_dashboards_are_valid_and_use_the_provisioned_datasource(
    datasource: dict[str, Any],
) -> None:
    boards = dashboards()
    assert {path.name for path in boards} >= {
        "overview.json",
        "service.json",
        "sla-per-region.json",
    }
    uids = [board["uid"] for board in boards.values()]
    assert len(set(uids)) == len(uids)
    for path, board in boards.items():
        assert board["title"], path.name
        assert board["schemaVersion"] >= 36, path.name
        ids = [panel["id"] for panel in panels(board)]
        assert len(set(ids)) == len(ids), f"{path.name}: panel ids repeat"
        used = [
            each["datasource"]
            for panel in panels(board)
            if panel["type"] != "row"
            for each in (panel, *panel["targets"])
        ]
        used += [v["datasource"] for v in board["templating"]["list"] if v["type"] == "query"]
        assert used, path.name
        for source in used:
            assert source == {"type": datasource["type"], "uid": datasource["uid"]}, path.name
        for panel in panels(board):
            if panel["type"] != "row":
                assert panel["targets"], panel["title"]
                assert all(t["expr"].strip() for t in panel["targets"]), panel["title"]


def _mounts(service: dict[str, Any]) -> dict[str, str]:
    """Container path → host path of a service's bind mounts."""
    pairs = (str(volume).split(":") for volume in service.get("volumes", []))
    return {target: source for source, target, *_ in pairs if source.startswith("./")}


def test_compose_provisions_grafana_and_loads_the_rules_into_prometheus(
    datasource: dict[str, Any],
) -> None:
    services = load_compose()["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    assert "observability" in grafana["profiles"]
    assert grafana["image"].startswith("grafana/grafana:")
    mounts = _mounts(grafana)
    provisioning = GRAFANA / "provisioning"
    assert (
        mounts["/etc/grafana/provisioning/datasources"]
        == "./deploy/grafana/provisioning/datasources"
    )
    assert (
        mounts["/etc/grafana/provisioning/dashboards"] == "./deploy/grafana/provisioning/dashboards"
    )
    (provider,) = yaml.safe_load(
        (provisioning / "dashboards" / "switchboard.yml").read_text(encoding="utf-8")
    )["providers"]
    assert mounts[provider["options"]["path"]] == "./deploy/grafana/dashboards"
    host, _, port = datasource["url"].removeprefix("http://").partition(":")
    assert host == "prometheus"
    assert any(str(p).endswith(f":{port}") for p in prometheus.get("ports", []))

    # prometheus.yml's rule_files, read relative to where the container has it, are the rules.
    in_prometheus = {source: target for target, source in _mounts(prometheus).items()}
    config_at = PurePosixPath(in_prometheus["./deploy/otel/prometheus.yml"])
    config = yaml.safe_load((ROOT / "deploy" / "otel" / "prometheus.yml").read_text("utf-8"))
    (pattern,) = config["rule_files"]
    rules_at = config_at.parent / PurePosixPath(pattern).parent
    assert in_prometheus["./deploy/prometheus/rules"] == str(rules_at)
    assert PurePosixPath(pattern).name == "*.yml"
