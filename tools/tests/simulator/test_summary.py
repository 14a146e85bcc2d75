from collections import Counter

from rich.console import Console

from switchboard.simulator.summary import Snapshot, hourly_line, render_table


def snapshot(**changes):
    snap = Snapshot(
        day=0,
        hour=10.5,
        regions=("nordics", "dach"),
        contacts=Counter({("nordics", "chat"): 3, ("dach", "phone"): 2, ("dach", "email"): 4}),
        sla_breaches=Counter({"dach": 5}),
        sla_warnings=Counter({"dach": 7, "nordics": 1}),
        offers_accepted=8,
        resolutions=6,
        surveys_requested=4,
        surveys_answered=2,
        kpis={"csat_percent": 87.5, "nps": 12.0},
    )
    for key, value in changes.items():
        setattr(snap, key, value)
    return snap


def rendered(snap):
    console = Console(record=True, width=200)
    console.print(render_table(snap))
    return [line.split("│")[1:-1] for line in console.export_text().splitlines() if "│" in line]


def test_the_table_has_a_row_per_region_and_a_total():
    rows = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rendered(snapshot())}
    # columns: phone email chat social contacts waiting warned breached escalations
    assert rows["nordics"] == ["0", "0", "3", "0", "3", "n/a", "1", "0", "n/a"]
    assert rows["dach"] == ["2", "4", "0", "0", "6", "n/a", "7", "5", "n/a"]
    assert rows["all"] == ["2", "4", "3", "0", "9", "n/a", "8", "5", "n/a"]


def test_queues_and_escalations_show_once_the_services_answer():
    snap = snapshot(waiting={"dach": 4}, open_escalations=Counter({"dach": 2}))
    rows = {cells[0].strip(): [c.strip() for c in cells[1:]] for cells in rendered(snap)}
    assert rows["dach"][5] == "4"
    assert rows["dach"][8] == "2"
    assert rows["nordics"][5] == "0"
    assert rows["all"][8] == "2"


def test_the_title_carries_time_and_csat():
    console = Console(record=True, width=200)
    console.print(render_table(snapshot()))
    text = console.export_text()
    assert "10:30" in text
    assert "CSAT 88 %" in text
    assert "surveys 2/4 answered" in text


def test_the_hourly_line_sums_up_the_day():
    line = hourly_line(snapshot(open_escalations=Counter({"dach": 3})))
    assert line.startswith("day 1 10:30 contacts 9 (phone=2 email=4 chat=3 social=0)")
    assert "breached [dach=5]" in line
    assert "escalations open 3" in line
    assert "CSAT 88%" in line
    assert "waiting n/a" in line


def test_replies_and_their_deliveries_are_counted_live():
    snap = snapshot(replies_sent=12, replies_delivered=10, replies_failed=1, customer_answers=3)
    console = Console(record=True, width=200)
    console.print(render_table(snap))
    title = " ".join(console.export_text().split())  # the title wraps at the table's width
    assert "replies 12 (delivered 10, failed 1, answered 3)" in title
    assert "replies 12 delivered 10 failed 1 answered 3" in hourly_line(snap)
