"""The live summary: one table per refresh (rich), or one line per simulated hour."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from rich.table import Table

from switchboard.simulator.channels import CHANNELS
from switchboard.simulator.clock import clock_time


@dataclass
class Snapshot:
    day: int
    hour: float
    regions: tuple[str, ...]
    contacts: Counter[tuple[str, str]] = field(default_factory=Counter)
    """(region, channel) → contacts accepted by intake."""
    waiting: dict[str, int] | None = None
    """Region → cases waiting in routing's queues; None while routing has no queue API."""
    sla_warnings: Counter[str] = field(default_factory=Counter)
    sla_breaches: Counter[str] = field(default_factory=Counter)
    open_escalations: Counter[str] | None = None
    offers_accepted: int = 0
    resolutions: int = 0
    surveys_requested: int = 0
    surveys_answered: int = 0
    replies_sent: int = 0
    replies_delivered: int = 0
    """Outbound messages (replies and survey invitations) the adapters delivered."""
    replies_failed: int = 0
    customer_answers: int = 0
    kpis: dict[str, Any] = field(default_factory=dict)

    def total(self, region: str | None = None, channel: str | None = None) -> int:
        return sum(
            count
            for (r, c), count in self.contacts.items()
            if region in (None, r) and channel in (None, c)
        )


def _number(value: Any, suffix: str = "") -> str:
    if isinstance(value, int | float):
        return f"{value:.0f}{suffix}"
    return "-"


def _optional(counts: dict[str, int] | Counter[str] | None, region: str | None) -> str:
    if counts is None:
        return "n/a"
    return str(sum(counts.values()) if region is None else counts.get(region, 0))


def render_table(snapshot: Snapshot) -> Table:
    title = (
        f"Switchboard simulated day {snapshot.day + 1} — {clock_time(snapshot.hour)}  "
        f"offers accepted {snapshot.offers_accepted} · resolved {snapshot.resolutions} · "
        f"replies {snapshot.replies_sent} (delivered {snapshot.replies_delivered}, "
        f"failed {snapshot.replies_failed}, answered {snapshot.customer_answers}) · "
        f"surveys {snapshot.surveys_answered}/{snapshot.surveys_requested} answered · "
        f"CSAT {_number(snapshot.kpis.get('csat_percent'), ' %')} · "
        f"NPS {_number(snapshot.kpis.get('nps'))}"
    )
    table = Table(title=title, title_justify="left")
    table.add_column("region")
    for channel in CHANNELS:
        table.add_column(channel, justify="right")
    for heading in ("contacts", "waiting", "SLA warned", "SLA breached", "escalations open"):
        table.add_column(heading, justify="right")
    for region in (*snapshot.regions, None):
        table.add_row(
            region or "all",
            *(str(snapshot.total(region, channel)) for channel in CHANNELS),
            str(snapshot.total(region)),
            _optional(snapshot.waiting, region),
            _optional(snapshot.sla_warnings, region),
            _optional(snapshot.sla_breaches, region),
            _optional(snapshot.open_escalations, region),
            style="bold" if region is None else None,
        )
    return table


def hourly_line(snapshot: Snapshot) -> str:
    channels = " ".join(f"{c}={snapshot.total(channel=c)}" for c in CHANNELS)
    breaches = ",".join(f"{r}={n}" for r, n in sorted(snapshot.sla_breaches.items())) or "none"
    return (
        f"day {snapshot.day + 1} {clock_time(snapshot.hour)} contacts {snapshot.total()} "
        f"({channels}) waiting {_optional(snapshot.waiting, None)} "
        f"accepted {snapshot.offers_accepted} resolved {snapshot.resolutions} "
        f"replies {snapshot.replies_sent} delivered {snapshot.replies_delivered} "
        f"failed {snapshot.replies_failed} answered {snapshot.customer_answers} "
        f"SLA warned {sum(snapshot.sla_warnings.values())} breached [{breaches}] "
        f"escalations open {_optional(snapshot.open_escalations, None)} "
        f"surveys {snapshot.surveys_answered}/{snapshot.surveys_requested} "
        f"CSAT {_number(snapshot.kpis.get('csat_percent'), '%')}"
    )
