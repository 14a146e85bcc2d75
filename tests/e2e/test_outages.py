"""The platform through a database crash and a broker crash while contacts keep coming.

The four services run as processes on their own PostgreSQL server and Kafka broker, which
the test kills (-9) one after the other, for far longer than any handler's own retries
last, and starts again. Contacts arrive all the while from an adapter that sees only HTTP.
Afterwards, from the topics read from the start and the APIs: clients saw 202 or 503 with
``Retry-After``, never a 500; every contact answered 202 became a case that routing queued
once, escalation clocked and breached once, and feedback counted; no dead letter but the
one undecodable record the test planted; ``/readyz`` went 503 while the database was down
and back to 200, and showed the broker outage in its body while intake stayed ready.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from switchboard.contracts.events import CaseOpened, CaseQueued, SlaBreached
from switchboard.contracts.events.sla import SlaMetric
from switchboard.contracts.topics import CASES, dead_letter_topic
from switchboard.servicekit.devinfra.kafka import KafkaBroker
from switchboard.servicekit.devinfra.postgres import PostgresCluster
from switchboard.servicekit.kafka import make_producer
from switchboard.servicekit.testing.helpers import eventually, read_topic

from .platform import SERVICES, Adapter, EventLog, Intake, Platform

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(420)]

DATABASE_DOWN_SECONDS = 10.0
BROKER_DOWN_SECONDS = 12.0
CONTACTS_PER_SECOND = 8


@dataclass
class Infra:
    platform: Platform
    cluster: PostgresCluster
    broker: KafkaBroker


@pytest.fixture(scope="module")
def infra() -> Iterator[Infra]:
    root = Path(tempfile.mkdtemp(prefix="switchboard-outages-"))
    root.chmod(0o755)  # PostgreSQL runs as another user when we are root
    cluster = PostgresCluster(root / "postgres", durable=True)
    broker = KafkaBroker(root / "kafka", fast_start=True)
    (root / "work").mkdir()
    platform = None
    try:
        cluster.start()
        broker.start()
        urls = {name: cluster.create_database(f"outage_{name}") for name in SERVICES}
        platform = Platform(broker.bootstrap_servers, urls, root / "work")
        platform.start()
        yield Infra(platform, cluster, broker)
    finally:
        if platform is not None:
            platform.stop()
        broker.stop()
        cluster.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclass
class Answer:
    at: float
    status: int
    headers: dict[str, str]
    body: Any


@dataclass
class Traffic:
    """Contacts posted at a steady pace by an adapter, and every answer it got."""

    intake: Intake
    adapter: Adapter
    answers: list[Answer] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            token = uuid.uuid4().hex[:12]
            body = {
                "session_id": f"s-{token}",
                "message_id": "1",
                "visitor": {"id": f"v-{token}"},
                "message": "Hallo, meine Bestellung ist noch nicht da. Wo bleibt sie denn?",
            }
            try:
                response = await self.intake.post(self.adapter, body)
                payload = response.json() if response.content else None
                self.answers.append(
                    Answer(time.monotonic(), response.status_code, dict(response.headers), payload)
                )
            except httpx.TransportError as error:
                self.transport_errors.append(type(error).__name__)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1 / CONTACTS_PER_SECOND)

    def accepted_cases(self) -> set[str]:
        return {a.body["case_id"] for a in self.answers if a.status == 202}


@dataclass
class Reads:
    """What agents and coordinators read meanwhile, from the other three services."""

    platform: Platform
    statuses: dict[str, list[tuple[float, int, str]]] = field(default_factory=dict)

    async def run(self, stop: asyncio.Event) -> None:
        regions = self.platform.regions
        coordinator = self.platform.auth("greta", "coordinator", (regions.dach,))
        reads = {
            "routing": ("/v1/queues", {}),
            "escalation": ("/v1/escalations", {}),
            "feedback": ("/kpis", {"region": regions.dach, "period": "day"}),
        }
        async with httpx.AsyncClient(timeout=10.0) as client:
            while not stop.is_set():
                for name, (path, params) in reads.items():
                    response = await client.get(
                        f"{self.platform.url(name)}{path}", params=params, headers=coordinator
                    )
                    seen = self.statuses.setdefault(name, [])
                    seen.append(
                        (
                            time.monotonic(),
                            response.status_code,
                            response.headers.get("retry-after", ""),
                        )
                    )
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.5)


@dataclass
class Readiness:
    """Every service's /readyz, asked four times a second."""

    platform: Platform
    seen: list[tuple[float, str, int, dict[str, Any]]] = field(default_factory=list)
    transport_errors: list[str] = field(default_factory=list)

    async def run(self, stop: asyncio.Event) -> None:
        async with httpx.AsyncClient(timeout=5.0) as client:
            while not stop.is_set():
                for name in SERVICES:
                    try:
                        response = await client.get(f"{self.platform.url(name)}/readyz")
                        self.seen.append(
                            (time.monotonic(), name, response.status_code, response.json())
                        )
                    except httpx.TransportError as error:
                        self.transport_errors.append(f"{name}: {type(error).__name__}")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 0.25)

    def statuses(self, name: str, since: float, until: float) -> list[int]:
        return [s for at, n, s, _ in self.seen if n == name and since <= at <= until]

    def bodies(self, name: str, since: float, until: float) -> list[dict[str, Any]]:
        return [b for at, n, _, b in self.seen if n == name and since <= at <= until]

    async def all_ready(self, timeout: float) -> bool:
        async def check() -> bool:
            async with httpx.AsyncClient(timeout=5.0) as client:
                for name in SERVICES:
                    try:
                        ready = await client.get(f"{self.platform.url(name)}/readyz")
                    except httpx.TransportError:
                        return False
                    if ready.status_code != 200:
                        return False
            return True

        return bool(await eventually(check, timeout=timeout, interval=0.5))


async def test_contacts_survive_a_database_crash_and_a_broker_crash(infra: Infra):
    platform, regions = infra.platform, infra.platform.regions
    async with httpx.AsyncClient(timeout=30.0) as http:
        intake = Intake(platform, http)
        adapter = await intake.register("chat", regions.dach)
        traffic, readiness, reads = Traffic(intake, adapter), Readiness(platform), Reads(platform)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(job.run(stop)) for job in (traffic, readiness, reads)]
        try:
            await asyncio.sleep(3)
            db_down = time.monotonic()
            await asyncio.to_thread(infra.cluster.kill)
            await asyncio.sleep(DATABASE_DOWN_SECONDS)
            await asyncio.to_thread(infra.cluster.start)
            db_up = time.monotonic()
            assert await readiness.all_ready(timeout=60), "every service ready again"
            recovered_db = time.monotonic() - db_up

            await plant_an_undecodable_case_event(infra.broker.bootstrap_servers)
            await asyncio.sleep(3)
            broker_down = time.monotonic()
            await asyncio.to_thread(infra.broker.kill)
            await asyncio.sleep(BROKER_DOWN_SECONDS)
            await asyncio.to_thread(infra.broker.start)
            broker_up = time.monotonic()
            await asyncio.sleep(3)
        finally:
            stop.set()
            await asyncio.gather(*tasks)
        assert await readiness.all_ready(timeout=60)

        statuses = Counter(answer.status for answer in traffic.answers)
        assert set(statuses) <= {202, 503}, f"only 202 or 503, never a 500: {statuses}"
        assert traffic.transport_errors == [], "intake answered every request"
        refused = [a for a in traffic.answers if a.status == 503]
        assert refused, "the database outage was seen by clients"
        for answer in refused:
            assert int(answer.headers["retry-after"]) > 0
            assert answer.headers["content-type"] == "application/problem+json"
            assert db_down <= answer.at <= db_up + recovered_db + 5, "503 only while it was down"
        during_broker_outage = [
            a for a in traffic.answers if broker_down + 1 < a.at < broker_up - 1
        ]
        assert during_broker_outage, "contacts were posted while the broker was down"
        assert {a.status for a in during_broker_outage} == {202}, "intake kept accepting"

        for name in SERVICES:
            assert 503 in readiness.statuses(name, db_down + 3, db_up), f"{name} said not ready"
        for name, seen in reads.statuses.items():
            assert {status for _, status, _ in seen} == {200, 503}, f"{name}: 200 or 503 only"
            assert all(int(after) > 0 for _, status, after in seen if status == 503)
            assert any(db_down < at < db_up and status == 503 for at, status, _ in seen)
        assert readiness.transport_errors == [], "/readyz always answered"
        intake_during = readiness.bodies("intake", broker_down + 4, broker_up - 1)
        assert intake_during, "readiness was asked while the broker was down"
        assert set(readiness.statuses("intake", broker_down + 4, broker_up - 1)) == {200}
        assert any(body["checks"]["broker"] != "ok" for body in intake_during)
        assert any(body["checks"]["relay"] != "ok" for body in intake_during), (
            "the stalled relay shows in the body"
        )

        cases = traffic.accepted_cases()
        assert len(cases) > 8 * CONTACTS_PER_SECOND
        print(
            f"\noutages: {len(traffic.answers)} contacts posted, {statuses}; "
            f"every service ready {recovered_db:.1f}s after the database was back"
        )
        await check_every_case_was_handled_once(infra, cases)


async def plant_an_undecodable_case_event(bootstrap: str) -> None:
    """A record on the cases topic that no consumer can decode: dead-lettered at once."""
    producer = make_producer(bootstrap)
    await producer.start()
    try:
        await producer.send_and_wait(
            CASES.name, value=b"{not an event", key=b"case-poison", headers=[]
        )
    finally:
        await producer.stop()


def distinct_per_case(envelopes: list[Any]) -> Counter[str]:
    """How many different events (by CloudEvents id) each case has; redeliveries count once."""
    return Counter(case_id for _, case_id in {(e.id, e.data.case_id) for e in envelopes})


async def check_every_case_was_handled_once(infra: Infra, cases: set[str]) -> None:
    platform = infra.platform
    bootstrap = infra.broker.bootstrap_servers
    async with EventLog(bootstrap) as events:

        async def all_breached() -> bool:
            breached = {
                e.case_id
                for e in events.events(SlaBreached)
                if e.metric is SlaMetric.FIRST_RESPONSE
            }
            return cases <= breached

        assert await eventually(all_breached, timeout=90), "escalation clocked every case"
        # Delivery is at-least-once: a relay whose "published" mark died with the database
        # publishes the same event (same id) again, and consumers drop it by its id. What
        # must happen once is the event itself — one id per case and kind.
        opened = distinct_per_case(events.of(CaseOpened, lambda e: e.case_id in cases))
        queued = distinct_per_case(events.of(CaseQueued, lambda e: e.case_id in cases))
        breached = distinct_per_case(
            events.of(
                SlaBreached,
                lambda e: e.case_id in cases and e.metric is SlaMetric.FIRST_RESPONSE,
            )
        )
    assert set(opened) == cases, "a case for every accepted contact"
    assert max(opened.values()) == 1, "opened once"
    assert set(queued) == cases, "routing queued every case"
    assert max(queued.values()) == 1, "routing queued each case once"
    assert max(breached.values()) == 1, "each breach raised once"

    greta = platform.auth("greta", "coordinator", (platform.regions.dach,))
    async with httpx.AsyncClient(timeout=10.0) as http:

        async def feedback_counted() -> bool:
            response = await http.get(
                f"{platform.url('feedback')}/kpis",
                params={"region": platform.regions.dach, "period": "day"},
                headers=greta,
            )
            return response.status_code == 200 and response.json()["total"]["backlog"] == len(cases)

        assert await eventually(feedback_counted, timeout=30), "feedback counted every case"

    groups = [f"e2e-{name}-{platform.run_id}" for name in SERVICES]
    for group in groups:
        dead = await read_topic(bootstrap, dead_letter_topic(group), expect=2, timeout=3)
        reasons = [dict(record.headers).get("dlq-error-type") for record in dead]
        if group.startswith("e2e-intake-"):
            assert dead == [], "intake reads no cases and dead-lettered nothing"
        else:
            assert reasons == [b"UndecodableEvent"], f"{group}: only the planted record"
