import csv
import io
from datetime import date

from switchboard.feedback.domain.csv_export import COLUMNS, KpiRow, csv_cells, iter_csv
from switchboard.feedback.domain.kpis import answer_counters, compute_kpis


def to_csv(rows: list[KpiRow]) -> str:
    return "".join(iter_csv(rows))


def row(facet_value: str = "a1") -> KpiRow:
    kpis = compute_kpis(answer_counters(csat=5, nps=2, ces=6))
    return KpiRow("month", date(2026, 3, 1), "nordics", "agent", facet_value, kpis)


def test_one_header_and_one_line_per_row():
    text = to_csv([row(), row("a2")])
    records = list(csv.DictReader(io.StringIO(text)))
    assert list(records[0]) == list(COLUMNS)
    assert [r["facet_value"] for r in records] == ["a1", "a2"]
    assert records[0]["csat_percent"] == "100.00"
    assert records[0]["nps"] == "-100.00"
    assert records[0]["ces"] == "6.00"
    assert records[0]["surveys_answered"] == "1"
    assert records[0]["response_rate_percent"] == ""
    assert records[0]["bucket_start"] == "2026-03-01"


def test_identifiers_that_look_like_formulas_are_neutralised():
    records = list(csv.DictReader(io.StringIO(to_csv([row("=HYPERLINK(1)")]))))
    assert records[0]["facet_value"] == "'=HYPERLINK(1)"


def test_streaming_yields_the_same_text_as_writing_at_once():
    rows = [row(), row("a2")]
    at_once = io.StringIO()
    writer = csv.writer(at_once, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows(csv_cells(r) for r in rows)
    chunks = list(iter_csv(rows))
    assert "".join(chunks) == at_once.getvalue()
    assert len(chunks) > len(rows) > 1


def test_an_empty_export_still_has_its_header():
    assert to_csv([]).splitlines() == [",".join(COLUMNS)]
