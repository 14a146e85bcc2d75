"""Wait forecasts in-process on SQLite: each waiting case's expected offer time from its
queue position and its pool's accepted offers of the window, published as
CaseWaitEstimated when it starts waiting or moves beyond the tolerance."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from switchboard.contracts.events import CaseWaitEstimated
from switchboard.routing.adapters.orm import WaitForecastRow
from switchboard.routing.service_layer import wait_forecasts
from switchboard.routing.service_layer.offers import answers
from switchboard.routing.service_layer.timer_kinds import WAIT_FORECAST_TIMER

from .conftest import T0, Desk


async def said(desk: Desk) -> dict[str, WaitForecastRow]:
    async with desk.service.service.sessions() as session:
        rows = (await session.scalars(select(WaitForecastRow))).all()
    return {row.case_id: row for row in rows}


async def test_waiting_cases_are_told_when_their_offer_comes_at_the_pools_pace(
    desk: Desk,
) -> None:
    await desk.hire("a1", capacity={"chat": 3})
    for n in range(6):
        await desk.open_case(f"c{n}")
    await desk.cycle()
    for n in range(3):
        await desk.do(answers.accept_offer, case_id=f"c{n}", agent_id="a1")

    desk.clock.advance(600)  # 3 accepted since 10 minutes ago: 0.3 a minute
    first = await desk.do(wait_forecasts.forecast_waits)
    again = await desk.do(wait_forecasts.forecast_waits)

    assert [(e.case_id, e.position) for e in first] == [("c3", 0), ("c4", 1), ("c5", 2)]
    assert again == []  # nothing moved
    c3 = first[0]
    assert (c3.queue_id, c3.region, c3.channel) == ("nordics", "nordics", "chat")
    assert c3.served_per_minute == pytest.approx(0.3)
    assert c3.expected_offer_at == desk.clock.now + timedelta(seconds=200)
    assert c3.estimated_at == desk.clock.now
    assert await desk.service.published(CaseWaitEstimated) == first
    assert set(await said(desk)) == {"c3", "c4", "c5"}


async def test_a_pool_that_stops_serving_puts_its_offers_out_of_sight(desk: Desk) -> None:
    await desk.hire("a1", capacity={"chat": 1})
    await desk.open_case("c0")
    await desk.open_case("c1")
    await desk.cycle()
    await desk.do(answers.accept_offer, case_id="c0", agent_id="a1")
    [c1] = await desk.do(wait_forecasts.forecast_waits)  # one just now: as if over 5 minutes
    assert c1.expected_offer_at == desk.clock.now + timedelta(minutes=5)

    desk.clock.now = T0 + timedelta(minutes=16)  # nothing accepted in the window since
    [stalled] = await desk.do(wait_forecasts.forecast_waits)

    assert (stalled.case_id, stalled.served_per_minute, stalled.expected_offer_at) == (
        "c1",
        0.0,
        None,
    )
    assert await desk.do(wait_forecasts.forecast_waits) == []


async def test_a_case_no_longer_waiting_is_forgotten(desk: Desk) -> None:
    await desk.open_case("c0")
    [c0] = await desk.do(wait_forecasts.forecast_waits)
    assert c0.expected_offer_at is None  # nobody serves the pool yet
    await desk.hire("a1")
    await desk.cycle()  # c0 is offered

    assert await desk.do(wait_forecasts.forecast_waits) == []
    assert await said(desk) == {}


async def test_the_timer_forecasts_and_comes_back(
    desk: Desk, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(wait_forecasts, "utcnow", desk.clock)
    await desk.open_case("c0")
    async with desk.service.service.transaction() as uow:
        await uow.schedule(
            WAIT_FORECAST_TIMER, wait_forecasts.WAIT_FORECAST_TIMER_KEY, desk.clock.now
        )

    assert await desk.service.fire_timers(now=desk.clock.now) == 1
    assert [e.case_id for e in await desk.service.published(CaseWaitEstimated)] == ["c0"]
    assert await desk.service.fire_timers(now=desk.clock.now) == 0  # set 15 s on
    assert await desk.service.fire_timers(now=desk.clock.advance(15)) == 1
