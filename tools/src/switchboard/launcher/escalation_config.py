"""What the launcher reads from escalation's configuration file: the coordinators (for
console sign-in links) and each region's time zone (so feedback's daily roll-ups follow the
same local days as the SLA calendars)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml


def _document(escalation_config: Path | None) -> dict[str, Any]:
    if escalation_config is None or not escalation_config.is_file():
        return {}
    document = yaml.safe_load(escalation_config.read_text(encoding="utf-8"))
    return document if isinstance(document, dict) else {}


@dataclass(frozen=True)
class Coordinator:
    id: str
    name: str
    regions: tuple[str, ...]


def coordinators_in(escalation_config: Path | None) -> list[Coordinator]:
    return [
        Coordinator(
            id=str(entry["id"]),
            name=str(entry.get("name", entry["id"])),
            regions=tuple(str(region) for region in entry.get("regions", [])),
        )
        for entry in _document(escalation_config).get("coordinators") or []
        if isinstance(entry, dict) and "id" in entry
    ]


def region_time_zones(escalation_config: Path | None) -> dict[str, str]:
    """Region → IANA zone of every calendar that names one (``default`` is not a region)."""
    calendars = _document(escalation_config).get("calendars") or {}
    return {
        str(region): str(calendar["timezone"])
        for region, calendar in calendars.items()
        if region != "default" and isinstance(calendar, dict) and calendar.get("timezone")
    }
