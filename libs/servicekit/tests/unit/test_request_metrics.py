"""Every service's /metrics counts HTTP requests by route template and status — the 5xx and
503 rates of deploy/prometheus/rules — and says whether the service is ready."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.deliveries import DeliverySender, RetryPolicy
from switchboard.servicekit.http import Problem, create_app
from switchboard.servicekit.http.rate_limits import RateLimitRule
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.outbox import OutboxRelay
from switchboard.servicekit.runtime import Runtime
from switchboard.servicekit.timers import TimerPoller

router = APIRouter()


@router.get("/things/{thing_id}")
async def get_thing(thing_id: str) -> dict[str, str]:
    if thing_id == "busy":
        raise Problem(503, "the ledger is away")
    if thing_id == "broken":
        raise RuntimeError("a bug")
    return {"id": thing_id}


@router.get("/things/{thing_id}/events")
async def thing_events(thing_id: str) -> StreamingResponse:
    async def events() -> AsyncIterator[str]:
        yield "event: opened\ndata: {}\n\n"
        await asyncio.sleep(0.3)  # a reader who stays: not latency
        seen_open.append(_streams_open("/things/{thing_id}/events"))
        yield f"event: thing\ndata: {thing_id}\n\n"

    return StreamingResponse(events(), media_type="text/event-stream; charset=utf-8")


seen_open: list[float] = []


def _streams_open(route: str) -> float:
    return REGISTRY.get_sample_value("switchboard_http_streams_open", {"route": route}) or 0.0


def _requests(method: str, route: str, status: int) -> float:
    labels = {"method": method, "route": route, "status": str(status)}
    return REGISTRY.get_sample_value("switchboard_http_requests_total", labels) or 0.0


def _timed(method: str, route: str) -> float:
    labels = {"method": method, "route": route}
    return (
        REGISTRY.get_sample_value("switchboard_http_request_duration_seconds_count", labels) or 0.0
    )


def _client(**options: object) -> httpx.AsyncClient:
    app = create_app(title="t", version="1", runtime=None, routers=[router], **options)  # type: ignore[arg-type]
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_requests_are_counted_by_route_template_and_status():
    route = "/things/{thing_id}"
    before = {status: _requests("GET", route, status) for status in (200, 503, 500)} | {
        "timed": _timed("GET", route),
        "unmatched": _requests("GET", "unmatched", 404),
    }
    async with _client() as client:
        assert (await client.get("/things/a")).status_code == 200
        assert (await client.get("/things/b")).status_code == 200
        assert (await client.get("/things/busy")).status_code == 503
        assert (await client.get("/things/broken")).status_code == 500
        assert (await client.get("/nowhere/1")).status_code == 404
        assert (await client.get("/nowhere/2")).status_code == 404
    assert _requests("GET", route, 200) - before[200] == 2
    assert _requests("GET", route, 503) - before[503] == 1
    assert _requests("GET", route, 500) - before[500] == 1
    assert _timed("GET", route) - before["timed"] == 4
    assert _requests("GET", "unmatched", 404) - before["unmatched"] == 2  # no path labels
    assert _requests("GET", "/things/a", 200) == 0


async def test_an_event_stream_is_counted_and_open_but_not_timed():
    route = "/things/{thing_id}/events"
    before = _requests("GET", route, 200), _timed("GET", route), _timed("GET", "/things/{thing_id}")
    seen_open.clear()
    async with _client() as client:
        answer = await client.get("/things/a/events")
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert "data: a" in answer.text
        assert (await client.get("/things/b")).status_code == 200
    assert seen_open == [1.0]  # open while it streamed
    assert _streams_open(route) == 0.0  # and closed after
    assert _requests("GET", route, 200) - before[0] == 1
    assert _timed("GET", route) - before[1] == 0  # its 0.3 s are no request latency
    assert _timed("GET", "/things/{thing_id}") - before[2] == 1


async def test_refused_by_a_limit_is_counted_and_probes_are_not():
    rule = RateLimitRule(limit="1/minute")  # refused before routing: no route template yet
    before = _requests("GET", "unmatched", 429)
    probes = sum(_requests("GET", path, 200) for path in ("/healthz", "/readyz", "/metrics"))
    async with _client() as client:
        await client.get("/healthz")
        await client.get("/readyz")
        scraped = (await client.get("/metrics")).text
    async with _client(rate_limits=[rule]) as client:
        statuses = [(await client.get("/things/a")).status_code for _ in range(3)]
    assert statuses == [200, 429, 429]
    assert _requests("GET", "unmatched", 429) - before == 2
    assert sum(_requests("GET", p, 200) for p in ("/healthz", "/readyz", "/metrics")) == probes
    names = {family.name for family in text_string_to_metric_families(scraped)}
    assert {"switchboard_http_requests", "switchboard_http_request_duration_seconds"} <= names


async def test_each_scrape_says_whether_the_service_is_ready(tmp_path):
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path}/ready.db")
    sessions = session_factory(engine)
    producer = make_producer("127.0.0.1:9")  # never started: the broker is not needed here
    runtime = Runtime(
        engine=engine,
        sessions=sessions,
        producer=producer,
        relay=OutboxRelay(sessions=sessions, producer=producer),
        ready_without_broker=True,
    )
    app = create_app(title="t", version="1", runtime=runtime)
    transport = httpx.ASGITransport(app=app)  # no lifespan: "started" is set by hand
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            await client.get("/metrics")
            assert REGISTRY.get_sample_value("switchboard_ready") == 0  # not started
            runtime.started = True  # as after start(), without starting the producer
            await client.get("/metrics")  # no /readyz probe in between: the scrape asks
            assert REGISTRY.get_sample_value("switchboard_ready") == 1
    finally:
        await engine.dispose()


@pytest.mark.parametrize("method", ["BREW", "PROPFIND"])
async def test_unknown_methods_share_one_label(method: str):
    before = _requests("other", "unmatched", 404) + _requests("other", "unmatched", 405)
    before += _requests("other", "/things/{thing_id}", 405)
    async with _client() as client:
        await client.request(method, "/things/a")
    after = _requests("other", "unmatched", 404) + _requests("other", "unmatched", 405)
    after += _requests("other", "/things/{thing_id}", 405)
    assert after - before == 1


async def test_failure_counters_start_at_zero_so_the_first_failure_is_an_increase():
    """Prometheus' increase() cannot see a series' first sample as a rise: a counter that
    appeared at 1 would hide the first dead delivery or failed timer from the alerts."""

    async def nothing(*_: object) -> None:
        return None

    TimerPoller(units=None, handlers={"kit-zero-timer": nothing})  # type: ignore[arg-type]
    DeliverySender(
        units=None,  # type: ignore[arg-type]
        endpoint_of=nothing,  # type: ignore[arg-type]
        retry=RetryPolicy(),
        streams=("kit-zero-stream",),
    )
    zero = {
        "switchboard_timers_failed_total": {"kind": "kit-zero-timer"},
        "switchboard_timers_fired_total": {"kind": "kit-zero-timer"},
        "servicekit_deliveries_dead_total": {"stream": "kit-zero-stream"},
        "servicekit_delivery_attempts_total": {"stream": "kit-zero-stream", "outcome": "failed"},
    }
    for name, labels in zero.items():
        assert REGISTRY.get_sample_value(name, labels) == 0, name
