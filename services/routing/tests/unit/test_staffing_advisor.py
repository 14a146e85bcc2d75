"""The staffing advisor in-process on SQLite: a pool's arrivals and handle times as routing
recorded them, its agents available, and StaffingShortfall / StaffingRecovered published
through the outbox once per interval at most."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from switchboard.contracts.events import StaffingRecovered, StaffingShortfall
from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.entrypoints import overview_api
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.routing.service_layer import staffing, work
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.timer_kinds import STAFFING_TIMER
from switchboard.routing.settings import StaffingTarget
from switchboard.servicekit.service import service_app
from switchboard.servicekit.testing.in_process import InProcessService

from .conftest import T0, Clock, Desk

# The Call Centre Helper example: 80 % within 20 s at most 85 % occupancy, and 10 Erlangs
# (here 50 cases in a 15-minute interval at 180 s) need 14 agents (CRAN ErlangC README).
TARGET = StaffingTarget(share=0.8, answer_seconds=20, max_occupancy=0.85)


@pytest.fixture
async def desk(tmp_path, clock: Clock) -> AsyncIterator[Desk]:
    service: InProcessService[Any, Any] = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-test",
        environment="test",
        staffing_target=TARGET,
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    yield desk
    await service.close()


async def handled_for(desk: Desk, case_id: str, agent_id: str, seconds: float) -> None:
    await desk.open_case(case_id)
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id=case_id, agent_id=agent_id)
    desk.clock.advance(seconds)
    await desk.do(
        work.resolve_case, case_id=case_id, agent_id=agent_id, resolution_code="done", note=None
    )


async def test_a_pool_short_of_agents_is_announced_once_then_its_recovery(desk: Desk) -> None:
    await desk.hire("a1")
    await desk.cycle()
    await handled_for(desk, "c0", "a1", 180)
    for n in range(1, 50):
        await desk.open_case(f"c{n}")

    await desk.do(staffing.assess_pools)
    await desk.do(staffing.assess_pools)  # the same interval: nothing new

    [short] = await desk.service.published(StaffingShortfall)
    assert (short.pool, short.region, short.department) == ("nordics", "nordics", None)
    assert short.arrivals == 50
    assert short.average_handle_seconds == pytest.approx(180)
    assert short.load_erlangs == pytest.approx(10)
    assert (short.target_share, short.target_answer_seconds) == (0.8, 20)
    assert (short.agents_required, short.agents_available) == (14, 1)
    assert short.expected_service_level == 0
    assert short.interval_seconds == 900
    assert short.assessed_at == desk.clock.now

    for n in range(2, 15):
        await desk.hire(f"a{n}")
    await desk.do(staffing.assess_pools)
    assert await desk.service.published(StaffingRecovered) == []  # not twice in one interval

    desk.clock.now = T0 + timedelta(minutes=15)  # the next interval, the same 50 arrivals
    await desk.do(staffing.assess_pools)
    [recovered] = await desk.service.published(StaffingRecovered)
    assert (recovered.agents_required, recovered.agents_available) == (14, 14)
    assert recovered.arrivals == 50
    assert recovered.expected_service_level > 0.8


async def test_a_pool_with_no_handle_time_yet_is_not_assessed(desk: Desk) -> None:
    for n in range(20):
        await desk.open_case(f"c{n}")

    assessed = await desk.do(staffing.assess_pools)

    assert assessed == []
    assert await desk.service.published(StaffingShortfall) == []


async def test_pools_go_by_department_and_agents_count_in_each_of_their_pools(
    tmp_path, clock: Clock
) -> None:
    service: InProcessService[Any, Any] = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-test",
        environment="test",
        pool_by_department=True,
        staffing_default_handle_seconds=600,
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    try:
        await desk.hire("a1", pools=["nordics/billing", "nordics/returns"], available=False)
        for n in range(10):
            await desk.open_case(f"c{n}", department="billing")

        [billing] = await desk.do(staffing.assess_pools)

        assert billing.traffic.pool == "nordics/billing"
        assert billing.traffic.handle_seconds == 600  # the configured default
        assert billing.traffic.agents_available == 0
        [short] = await service.published(StaffingShortfall)
        assert (short.region, short.department) == ("nordics", "billing")
    finally:
        await service.close()


async def test_the_timer_assesses_and_comes_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(staffing, "utcnow", desk.clock)
    await desk.hire("a1")
    await desk.cycle()
    await handled_for(desk, "c0", "a1", 180)
    for n in range(1, 50):
        await desk.open_case(f"c{n}")
    async with desk.service.service.transaction() as uow:
        await uow.schedule(STAFFING_TIMER, staffing.STAFFING_TIMER_KEY, desk.clock.now)

    assert await desk.service.fire_timers(now=desk.clock.now) == 1
    assert len(await desk.service.published(StaffingShortfall)) == 1
    assert await desk.service.fire_timers(now=desk.clock.now) == 0  # set a minute on


async def test_coordinators_read_their_pools_staffing_now(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(overview_api, "utcnow", desk.clock)
    await desk.hire("a1")
    await desk.cycle()
    await handled_for(desk, "c0", "a1", 180)
    for n in range(1, 50):
        await desk.open_case(f"c{n}")
    await desk.open_case("d1", region="dach")
    app = service_app(desk.service.service, HTTP_API)
    tokens = desk.service.service.tokens

    def bearer(role: str, regions: tuple[str, ...] = ()) -> dict[str, str]:
        token = tokens.issue(subject=f"{role}-1", role=role, regions=regions)
        return {"Authorization": f"Bearer {token}"}

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://routing.test"
    ) as client:
        nordics = await client.get("/v1/staffing", headers=bearer("coordinator", ("nordics",)))
        refused = await client.get("/v1/staffing", headers=bearer("agent"))

    assert nordics.status_code == 200, nordics.text
    [pool] = nordics.json()
    assert pool["pool"] == "nordics"
    assert (pool["arrivals"], pool["agents_required"], pool["agents_available"]) == (50, 14, 1)
    assert pool["short"] is True
    assert refused.status_code == 403
    assert await desk.service.published(StaffingShortfall) == []  # reading announces nothing


async def test_the_next_intervals_are_forecast_from_the_same_interval_on_past_days(
    tmp_path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    service: InProcessService[Any, Any] = await InProcessService.start(
        DEFINITION,
        tmp_path,
        replica_name="routing-test",
        environment="test",
        staffing_target=TARGET,
        staffing_default_handle_seconds=600,
    )
    desk = Desk(service, clock)
    desk.loop.clock = clock
    monkeypatch.setattr(overview_api, "utcnow", desk.clock)
    day = timedelta(days=1)
    past = {  # nothing before two days back: the mean is over two days
        "p1": (T0 - 2 * day + timedelta(minutes=20), "nordics"),
        "p2": (T0 - 2 * day + timedelta(minutes=20), "nordics"),
        "p3": (T0 - 2 * day + timedelta(minutes=29, seconds=59), "nordics"),
        "q1": (T0 - day + timedelta(minutes=15), "nordics"),  # the boundary: 09:15 is in
        "q2": (T0 - day + timedelta(minutes=14, seconds=59), "nordics"),  # 09:00, not next
        "q3": (T0 - day + timedelta(minutes=20), "nordics"),
        "q4": (T0 - day + timedelta(minutes=30), "nordics"),
        "q5": (T0 - day + timedelta(minutes=50), "dach"),
        "q6": (T0 - day + timedelta(minutes=55), "dach"),
    }
    try:
        await desk.hire("a1")
        for case_id, (opened_at, region) in past.items():
            await desk.open_case(case_id, opened_at=opened_at, region=region)
        clock.now = T0 + timedelta(minutes=5)  # no arrivals in the last 15 minutes
        app = service_app(service.service, HTTP_API)
        token = service.service.tokens.issue(subject="admin-1", role="admin", regions=())
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://routing.test"
        ) as client:
            answer = await client.get("/v1/staffing", headers={"Authorization": f"Bearer {token}"})
    finally:
        await service.close()

    assert answer.status_code == 200, answer.text
    dach, nordics = answer.json()
    assert (dach["pool"], nordics["pool"]) == ("dach", "nordics")
    assert nordics["arrivals"] == dach["arrivals"] == 0
    starts = ["09:15", "09:30", "09:45", "10:00"]
    assert [n["interval_start"][11:16] for n in nordics["next"]] == starts
    assert [n["expected_arrivals"] for n in nordics["next"]] == [2.5, 0.5, 0, 0]
    assert [n["expected_arrivals"] for n in dach["next"]] == [0, 0, 1.0, 0]
    assert {n["days_averaged"] for n in nordics["next"] + dach["next"]} == {2}
    quarter_past = nordics["next"][0]
    assert quarter_past["load_erlangs"] == pytest.approx(2.5 * 600 / 900)
    assert (quarter_past["agents_required"], quarter_past["agents_available"]) == (4, 1)
    assert quarter_past["short"] is True
    assert quarter_past["expected_service_level"] == 0  # one agent for 1.67 Erlangs
    quiet = nordics["next"][2]
    assert (quiet["agents_required"], quiet["short"], quiet["expected_service_level"]) == (
        0,
        False,
        1.0,
    )
    assert dach["next"][2]["agents_available"] == 0


async def test_without_a_past_day_there_is_no_forecast(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    await desk.hire("a1")
    await desk.cycle()
    await handled_for(desk, "c0", "a1", 180)

    [outlook] = await desk.do(staffing_now_of_all)

    assert outlook.now.traffic.arrivals == 1
    assert outlook.next == []  # the first case came today: nothing to average


async def staffing_now_of_all(*, uow: Any, now: Any) -> Any:
    return await staffing.staffing_now(
        session=uow.session, plan=uow.deps.staffing, now=now, regions=None
    )
