"""KPI series as CSV: one row per bucket, counts and KPIs, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

from switchboard.feedback.domain.kpis import KPI_NAMES, Kpis

SLICE_COLUMNS = ("period", "bucket_start", "region", "facet", "facet_value")
COLUMNS = SLICE_COLUMNS + KPI_NAMES
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class KpiRow:
    period: str
    bucket_start: date
    region: str
    facet: str
    facet_value: str
    kpis: Kpis


def spreadsheet_safe(text: str) -> str:
    """Quote text a spreadsheet would run as a formula (CSV injection)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def format_number(value: float | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}"


def csv_cells(row: KpiRow) -> list[str]:
    slice_cells = [
        row.period,
        row.bucket_start.isoformat(),
        spreadsheet_safe(row.region),
        row.facet,
        spreadsheet_safe(row.facet_value),
    ]
    return slice_cells + [format_number(value) for value in row.kpis.as_dict().values()]


def iter_csv(rows: Iterable[KpiRow]) -> Iterator[str]:
    """The header line, then one line per row; suitable for a streaming response."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow(csv_cells(row))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
