"""Two intake, three routing, two escalation and two feedback replicas, each its own process
on the real broker and PostgreSQL (the launcher's ``--replicas``):

- contacts posted to both intake replicas and handled through all routing replicas are
  offered once each; each gets one survey (one survey id: feedback's timers);
- kill -9 of the routing replica that indexes a pool: the survivors take the pool over and
  new contacts there get offers — the time this takes is measured, printed and bounded;
- SLA timers fire once across the escalation replicas, also when one is killed;
- an event id found twice on a topic is the same event relayed again (the relay is
  at-least-once; consumers dedupe by event id), never two events under one id;
- a coordinator's SSE stream on escalation replica A, A killed -9, the client reconnects to
  replica B with ``Last-Event-ID``: every event of their region raised meanwhile arrives,
  none twice, none of another region.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.contracts.events import (
    CaseOffered,
    CaseOpened,
    CaseResolved,
    EscalationRaised,
    SlaBreached,
    SlaWarned,
    SurveyRequested,
)
from switchboard.contracts.topics import ESCALATIONS
from switchboard.launcher.processes import SERVICES
from switchboard.routing.domain.ownership import owner_of
from switchboard.servicekit.devinfra.kafka import KafkaBroker

from .platform import (
    FIRST_RESPONSE_TARGET_SECONDS,
    SURVEY_DELAY_SECONDS,
    Adapter,
    EventLog,
    Intake,
    Platform,
    Routing,
)

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(420)]

REPLICAS = {"intake": 2, "routing": 3, "escalation": 2, "feedback": 2}
ROUTING_REPLICAS = ("routing", "routing-1", "routing-2")
"""The replica names the launcher gives routing's three replicas (their heartbeats)."""
HEARTBEAT_SECONDS = 2.0
"""Routing's default: a replica that missed three beats is gone."""
POOL_MOVE_BOUND_SECONDS = 15.0
"""Three missed beats (6 s), the survivors' next beat (<= 2 s), re-indexing and the offer,
with margin for a loaded two-core machine."""
ALL_OFFERED_BOUND_SECONDS = 40.0
"""Contacts whose case events sit on a Kafka partition the dead replica consumed wait for
the consumer group to notice (session timeout 10 s) and rebalance."""
ENGLISH = (
    "Hello, my order has still not arrived and I have not heard from you for a week. "
    "Could you please tell me where it is and when it will be delivered?"
)


@pytest.fixture(scope="module")
def replicated(kafka_bootstrap: str, postgres_server: Any) -> Iterator[Platform]:
    run = uuid.uuid4().hex[:8]
    names = {service: f"e2e_rep_{service}_{run}" for service in SERVICES}
    urls = {service: postgres_server.create_database(name) for service, name in names.items()}
    with contextlib.ExitStack() as stack:
        workdir = stack.enter_context(tempfile.TemporaryDirectory(prefix="switchboard-replicas-"))
        # A broker of its own: on the session's, the session platform's services (their own
        # consumer groups) took these cases too, and its feedback asked a second survey.
        if not os.environ.get("KAFKA_BOOTSTRAP_SERVERS"):
            broker = KafkaBroker(Path(workdir) / "kafka", fast_start=True)
            kafka_bootstrap = stack.enter_context(broker).bootstrap_servers
        platform = Platform(kafka_bootstrap, urls, Path(workdir), replicas=dict(REPLICAS))
        try:
            platform.start(ready_timeout=300)
            yield platform
        finally:
            platform.stop()
            if keep := os.environ.get("SWITCHBOARD_E2E_LOG_DIR"):
                shutil.copytree(workdir, keep, dirs_exist_ok=True)
    if getattr(postgres_server, "shared", False):
        for name in names.values():
            postgres_server.drop_database(name)


@pytest.fixture
def platform(replicated: Platform) -> Platform:
    return replicated


def chat_body(token: str) -> dict[str, Any]:
    return {
        "session_id": f"session-{token}",
        "message_id": "1",
        "visitor": {"id": f"visitor-{token}"},
        "message": ENGLISH,
    }


def kill(platform: Platform, label: str) -> None:
    """kill -9: no shutdown, no leaving the replica set, no offsets committed."""
    process = platform.services[label].process
    assert process is not None, label
    assert process.poll() is None, f"{label} is not running"
    process.kill()
    process.wait(10)


class Stream:
    """A coordinator's SSE client on one replica: the frames' (type, data) and the last id."""

    def __init__(self, url: str, headers: dict[str, str], last_event_id: str | None = None):
        self.url, self.headers = url, dict(headers)
        if last_event_id:
            self.headers["Last-Event-ID"] = last_event_id
        self.received: list[tuple[str, str]] = []
        self.last_id: str | None = None
        self.connected = asyncio.Event()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async with (
            httpx.AsyncClient(timeout=httpx.Timeout(10, read=None)) as client,
            client.stream("GET", self.url, headers=self.headers) as response,
        ):
            assert response.status_code == 200, await response.aread()
            buffer = ""
            async for text in response.aiter_text():
                buffer += text.replace("\r\n", "\n")
                while "\n\n" in buffer:
                    frame, buffer = buffer.split("\n\n", 1)
                    self._frame(frame)

    def _frame(self, frame: str) -> None:
        fields: dict[str, str] = {}
        for line in frame.split("\n"):
            if line.startswith(":"):
                if "connected" in line:
                    self.connected.set()
                continue
            name, _, value = line.partition(": ")
            fields[name] = value
        if "data" in fields:
            data = json.dumps(json.loads(fields["data"]), sort_keys=True)
            self.received.append((fields["event"], data))
            self.last_id = fields["id"]

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError, httpx.HTTPError):
            await self.task


async def until(predicate: Any, timeout: float, what: str) -> float:
    """Polls ``predicate`` until true; the seconds it took."""
    start = time.monotonic()
    while not predicate():
        assert time.monotonic() - start < timeout, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.05)
    return time.monotonic() - start


async def test_replicas_share_the_work_and_survive_kill_minus_nine(
    platform: Platform, intake: Intake, routing: Routing, events: EventLog, http: httpx.AsyncClient
) -> None:
    regions, token = platform.regions, uuid.uuid4().hex[:8]
    pools = [regions.nordics, regions.eu_west, regions.eu_central]
    intakes = [Intake(platform, http) for _ in range(REPLICAS["intake"])]
    routings = [Routing(platform, http) for _ in range(REPLICAS["routing"])]
    for i, intake_client in enumerate(intakes):
        intake_client.base = platform.url("intake", i)
    for i, routing_client in enumerate(routings):
        routing_client.base = platform.url("routing", i)
    adapters = {region: await intake.register("chat", region) for region in [*pools, regions.dach]}

    async def post(adapter: Adapter, n: int) -> str:
        posted = await intakes[n % len(intakes)].post(adapter, chat_body(f"{token}-{n}"))
        assert posted.status_code == 202, posted.text
        return str(posted.json()["case_id"])

    async def hire(agent: str, region: str, n: int) -> None:
        via = routings[n % len(routings)]
        await via.hire(agent, region=region, languages=["en"], skills={"support": 7})
        await via.available(agent)

    # 1. Contacts through every replica: six per pool, an agent each.
    cases: dict[str, str] = {}
    n = 0
    for region in pools:
        for k in range(6):
            await hire(f"a-{token}-{region}-{k}", region, n)
            cases[await post(adapters[region], n)] = region
            n += 1
    await until(lambda: {e.case_id for e in events.events(CaseOffered)} >= set(cases), 60, "offers")
    for i, (case_id, _region) in enumerate(cases.items()):
        [offer] = events.events(CaseOffered, lambda e, c=case_id: e.case_id == c)
        via = routings[i % len(routings)]
        for action, body in (
            ("accept", None),
            ("replies", {"message_id": f"reply-{case_id[:8]}"}),
            ("resolve", {"resolution_code": "delivered"}),
        ):
            answer = await via.act(offer.agent_id, case_id, action, body)
            assert answer.status_code == 200, (action, answer.text)
    await until(
        lambda: {e.case_id for e in events.events(CaseResolved)} >= set(cases), 30, "resolved"
    )

    # 2. kill -9 the routing replica that indexes the first pool; its pool moves.
    pool = pools[0]
    victim = owner_of(pool, ROUTING_REPLICAS)
    for k in range(8):  # idle agents of the pool, in the victim's index
        await hire(f"b-{token}-{k}", pool, k)
    await asyncio.sleep(1.0)
    killed_at = time.monotonic()
    kill(platform, victim)
    after: list[str] = []
    for k in range(8):  # as soon as it is gone: spread over the cases topic's partitions
        after.append(await post(adapters[pool], 100 + k))
    offered_after = lambda: {e.case_id for e in events.events(CaseOffered)} & set(after)  # noqa: E731
    await until(lambda: offered_after(), ALL_OFFERED_BOUND_SECONDS, "a first offer")
    first_offer_seconds = time.monotonic() - killed_at
    await until(lambda: offered_after() == set(after), ALL_OFFERED_BOUND_SECONDS, "all offers")
    all_offered_seconds = time.monotonic() - killed_at
    print(
        f"\npool move after kill -9 of {victim} (heartbeat {HEARTBEAT_SECONDS:g} s): first new "
        f"contact of its pool offered {first_offer_seconds:.1f} s after the kill, all 8 "
        f"{all_offered_seconds:.1f} s (those on the dead replica's Kafka partitions wait for "
        "the consumer group's rebalance)"
    )
    assert first_offer_seconds < POOL_MOVE_BOUND_SECONDS, first_offer_seconds

    # 3. Escalation: a coordinator's stream on replica A; breaches in dach (no agents there).
    greta = platform.auth("greta", "coordinator", (regions.dach,))
    path = "/v1/escalations/stream"
    on_a = Stream(platform.url("escalation", 0) + path, greta)
    await asyncio.wait_for(on_a.connected.wait(), 30)
    dach = [await post(adapters[regions.dach], 200 + k) for k in range(4)]
    await until(
        lambda: sum(t == EscalationRaised.event_type for t, _ in on_a.received) >= 2,
        FIRST_RESPONSE_TARGET_SECONDS + 40,
        "escalations on replica A's stream",
    )
    kill(platform, "escalation")
    await on_a.stop()
    dach += [await post(adapters[regions.dach], 300 + k) for k in range(4)]
    # Everything raised while the client was away is in replica B's past when it comes back.
    await until(
        lambda: len(events.events(EscalationRaised, lambda e: e.case_id in dach)) == len(dach),
        FIRST_RESPONSE_TARGET_SECONDS + 60,
        "every dach case escalated",
    )
    assert on_a.last_id is not None
    on_b = Stream(platform.url("escalation", 1) + path, greta, on_a.last_id)
    await asyncio.wait_for(on_b.connected.wait(), 30)
    dach += [await post(adapters[regions.dach], 400 + k) for k in range(2)]  # and live ones

    def shown() -> Counter[tuple[str, str]]:
        return Counter(
            (e.type, json.dumps(e.data.model_dump(mode="json"), sort_keys=True))
            for e in events.envelopes
            if e.topic == ESCALATIONS.name and getattr(e.data, "region", None) == regions.dach
        )

    await until(
        lambda: len(events.events(EscalationRaised, lambda e: e.case_id in dach)) == len(dach),
        FIRST_RESPONSE_TARGET_SECONDS + 60,
        "the live ones escalated",
    )
    await until(
        lambda: Counter(on_a.received + on_b.received) >= shown(), 30, "the stream caught up"
    )
    await asyncio.sleep(2.0)  # a repeat would come now
    await on_b.stop()
    seen = Counter(on_a.received + on_b.received)
    assert seen == shown(), "the streams on A and then B show each dach event exactly once"
    assert max(seen.values()) == 1
    print(
        f"SSE: {len(on_a.received)} events on replica A, then {len(on_b.received)} on B after "
        "kill -9 of A (replayed from Last-Event-ID, then live); none missed, none twice"
    )

    # 4. Timers fired once across the escalation replicas (one killed); surveys once.
    await asyncio.sleep(3.0)
    warned = Counter((e.case_id, e.metric.value, e.fraction) for e in events.events(SlaWarned))
    breached = Counter((e.case_id, e.metric.value) for e in events.events(SlaBreached))
    raised = Counter(e.case_id for e in events.events(EscalationRaised))
    for case_id in dach:
        assert warned[(case_id, "first_response", 0.5)] == 1, case_id
        assert breached[(case_id, "first_response")] == 1, case_id
        assert raised[case_id] == 1, case_id
    await until(
        lambda: {e.case_id for e in events.events(SurveyRequested)} >= set(cases),
        SURVEY_DELAY_SECONDS + 30,
        "surveys",
    )
    # One survey per case: its survey id (a record relayed again carries the same one).
    surveys = {
        c: {e.survey_id for e in events.events(SurveyRequested, lambda e, c=c: e.case_id == c)}
        for c in cases
    }
    assert all(len(ids) == 1 for ids in surveys.values()), surveys
    offers = Counter(e.case_id for e in events.events(CaseOffered))
    assert all(offers[case_id] == 1 for case_id in cases), offers  # accepted at once
    for case_id in after:  # nobody accepts these: each offer expires and the next follows
        made = sorted(
            events.events(CaseOffered, lambda e, c=case_id: e.case_id == c),
            key=lambda e: e.offered_at,
        )
        for earlier, later in itertools.pairwise(made):
            assert later.offered_at >= earlier.expires_at, (earlier, later)  # never two open
    opened = Counter(e.case_id for e in events.events(CaseOpened))
    assert all(opened[case_id] == 1 for case_id in [*cases, *after, *dach])

    # 5. The relay is at-least-once (a publish whose acknowledgement or commit failed goes
    # again; consumers dedupe by event id): an event id found twice must be the same event,
    # relayed again, never two events under one id. How many, is printed: in CI's full
    # suite SurveyRequested came twice for some cases (2 of 18, twice), never here alone.
    by_id: dict[str, list[Any]] = {}
    for envelope in events.envelopes:
        by_id.setdefault(envelope.id, []).append(envelope)
    again = {i: found for i, found in by_id.items() if len(found) > 1}
    assert all(all(e == found[0] for e in found) for found in again.values()), again
    print(f"events relayed again: {len(again)} ({Counter(f[0].type for f in again.values())})")
