import pytest
from typer.testing import CliRunner

from switchboard.simulator.cli import app
from switchboard.simulator.scenario import build_world
from switchboard.simulator.understaffing import (
    UnderstaffedHour,
    parse_understaffed_hour,
    plan_absences,
)


def on_duty(world, absences, region, hour):
    return [a.id for a in world.agents if a.region == region and absences.on_duty(a, hour)]


def test_written_windows_are_read_with_their_defaults():
    assert parse_understaffed_hour("dach@10:00") == UnderstaffedHour("dach", 10.0, 60.0, 1)
    window = parse_understaffed_hour("poland@14:30+45/2")
    assert window == UnderstaffedHour("poland", 14.5, 45.0, 2)
    assert str(window) == "poland@14:30+45/2"
    assert [window.covers(hour) for hour in (14.4, 14.5, 15.2, 15.25)] == [False, True, True, False]


@pytest.mark.parametrize(
    "written", ["dach", "dach@10", "atlantis@10:00", "dach@07:00", "dach@10:75", "dach@10:00+0"]
)
def test_a_window_that_cannot_be_read_is_refused(written):
    with pytest.raises(ValueError, match=written.split("@")[0]):
        parse_understaffed_hour(written)


def test_all_but_one_agent_on_shift_go_away_for_the_window_then_come_back():
    world = build_world(run_id="u1", contacts=1200, understaffed=frozenset())
    absences = plan_absences(world, [parse_understaffed_hour("france@09:30+60")])
    before = on_duty(world, absences, "france", 9.4)
    assert len(before) >= 4
    assert on_duty(world, absences, "france", 9.5) == before[:1]
    # late-shift agents arriving at 10:00 stay away too, until the window ends
    assert on_duty(world, absences, "france", 10.25) == before[:1]
    assert len(on_duty(world, absences, "france", 10.5)) > len(before)
    for region in ("nordics", "dach", "poland"):  # other regions keep their shifts
        assert on_duty(world, absences, region, 10.0) == [
            a.id for a in world.agents if a.region == region and a.shift.on_duty(10.0)
        ]


def test_a_window_may_keep_more_agents_and_uses_the_regions_code():
    world = build_world(
        run_id="u2", contacts=1200, understaffed=frozenset(), codes={"dach": "dach-u2"}
    )
    absences = plan_absences(world, [parse_understaffed_hour("dach@11:00+30/2")])
    assert len(on_duty(world, absences, "dach-u2", 11.2)) == 2
    assert len(on_duty(world, absences, "dach-u2", 11.5)) > 2


def test_the_simulator_refuses_an_unreadable_window():
    result = CliRunner().invoke(app, ["--understaffed-hour", "dach@25:00"])
    assert result.exit_code == 2
    assert "REGION@HH:MM" in result.output or "working day" in result.output
