"""The chaos run's tables, as plain text: each fault with its downtime and recovery, what
the clients saw, and every invariant with its counts."""

from __future__ import annotations

from collections import Counter

from switchboard.chaos.runner import ChaosReport


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]

    def line(cells: list[str]) -> str:
        padded = (str(c).ljust(w) for c, w in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


def faults_table(report: ChaosReport) -> str:
    rows = []
    for index, outcome in enumerate(report.outcomes, start=1):
        during = [
            call
            for call in report.calls
            if outcome.killed_at <= call.at <= (outcome.routed_at or outcome.restarted_at + 60)
        ]
        seen = Counter(
            call.error or str(call.status)
            for call in during
            if call.error or (call.status or 0) >= 500
        )
        rows.append(
            [
                str(index),
                outcome.fault.name,
                ", ".join(outcome.killed),
                _seconds(outcome.downtime),
                _seconds(outcome.ready_after),
                _seconds(outcome.recovery),
                _seconds(outcome.routed_once_ready),
                str(len(during)),
                ", ".join(f"{k} x{v}" for k, v in sorted(seen.items())) or "none",
            ]
        )
    return _table(
        [
            "#",
            "fault (kill -9)",
            "killed",
            "down s",
            "ready after s",
            "routed after s",
            "of which once ready",
            "calls meanwhile",
            "errors clients saw",
        ],
        rows,
    )


def clients_table(report: ChaosReport) -> str:
    by: Counter[tuple[str, str]] = Counter(
        (call.service, call.error or str(call.status)) for call in report.calls
    )
    rows = [[service, outcome, str(n)] for (service, outcome), n in sorted(by.items())]
    return _table(["service", "status or error", "calls"], rows)


def invariants_table(report: ChaosReport) -> str:
    rows = [
        [
            "pass" if check.passed else "FAIL",
            check.name,
            str(check.checked),
            str(check.violations),
            check.example[:90],
        ]
        for check in report.checks
    ]
    return _table(["", "invariant", "checked", "violations", "first violation"], rows)


def render(report: ChaosReport) -> str:
    day = report.day
    options = report.options
    head = (
        f"chaos run: seed {options.seed}, {len(report.outcomes)} faults "
        f"in {report.minutes:.1f} min, "
        f"Kafka nodes {options.kafka_nodes}, replicas {options.replicas or 'one each'}; "
        f"day(s) {day.days}{' (ended early)' if day.interrupted else ''}: "
        f"{len(day.accepted)}/{len(day.contacts)} contacts accepted "
        f"({sum(c.duplicate for c in day.accepted)} of them retries intake recognised), "
        f"{day.offers.accepted} offers accepted, {day.resolutions} resolved, "
        f"{len(day.surveys)} surveys, SLA breaches {sum(day.sla_breaches.values())}, "
        f"escalations {sum(day.escalations.values())}; {report.events} distinct events read"
    )
    parts = [
        head,
        "",
        "Faults",
        faults_table(report),
        "",
        "What clients saw (every call of the simulator and the probe)",
        clients_table(report),
        "",
        "Invariants",
        invariants_table(report),
    ]
    if day.errors:
        parts += ["", f"simulator errors ({len(day.errors)}, first 5):", *day.errors[:5]]
    if report.probe_errors:
        parts += ["", f"probe errors: {report.probe_errors[:5]}"]
    parts += ["", "RESULT chaos: " + ("all invariants hold" if report.passed else "FAILED")]
    return "\n".join(parts)
