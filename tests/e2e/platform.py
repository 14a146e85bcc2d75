"""The whole platform for end-to-end tests: the four services as real processes.

Each service runs from its console script on a free loopback port with its own PostgreSQL
database, all on the test Kafka broker.
Every run gets its own region names (suffix ``run_id``), so events of other tests on a shared
broker never look like ours. Tests talk to the services over HTTP only and assert on what
appears on Kafka (``EventLog``).
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import json
import os
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from switchboard.contracts.envelope import Envelope
from switchboard.contracts.events import CaseOffered
from switchboard.contracts.topics import ALL_TOPICS
from switchboard.launcher.processes import (
    SERVICES,
    ServiceProcess,
    log_tails,
    start_all,
    stop_all,
    wait_ready,
)
from switchboard.launcher.wiring import Wiring, replica_environment, replica_label
from switchboard.servicekit.auth import TokenVerifier
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.sealing import SealedFields, open_sealed
from switchboard.servicekit.testing.topics import create_topics
from switchboard.simulator.channels import signed_headers
from switchboard.simulator.observe import EventFeed

LOOPBACK = "127.0.0.1"

JWT_SECRET = "e2e-jwt-secret-of-all-four-services-0123456789abcdef"
SURVEY_DELAY_SECONDS = 2.0
OUTBOUND_MAX_ATTEMPTS = 3
OUTBOUND_FIRST_RETRY_SECONDS = 0.2
FIRST_RESPONSE_TARGET_SECONDS = 4
OFFER_TIMEOUT_SECONDS = 15
AUDIENCE = "switchboard"
MAIL_DOMAIN = "acme.test"
"""The domain intake's own mail receiver takes mail for (any other recipient is refused)."""
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Regions:
    """Region codes unique to one platform run."""

    nordics: str
    eu_west: str
    eu_central: str
    dach: str

    @classmethod
    def for_run(cls, run_id: str) -> Regions:
        return cls(*(f"{name}-{run_id}" for name in ("nordics", "eu-west", "eu-central", "dach")))


def routing_policies(regions: Regions) -> str:
    # One strict requirement: skill, the case's language and its region, never broadened.
    requirement = "support >= 5 and language == case.language and region == case.region"
    return f"""
policies:
  - name: e2e-qualified
    steps: []
    fallback: '{requirement}'
    offer_timeout_seconds: {OFFER_TIMEOUT_SECONDS}
"""


def escalation_config(regions: Regions) -> str:
    """Every region open 24/7 (UTC, no holidays); the ``dach`` region has a first-response
    target of a few seconds so that an unanswered case breaches during the test."""
    always = ", ".join(f'{day}: ["00:00-24:00"]' for day in DAYS)
    relaxed = [regions.nordics, regions.eu_west, regions.eu_central]
    calendars = "\n".join(
        f"  {region}: {{timezone: UTC, hours: {{{always}}}}}" for region in [regions.dach, *relaxed]
    )
    return f"""
calendars:
{calendars}
sla_policies:
  - name: fast-first-response
    when: {{region: [{regions.dach}]}}
    targets: {{first_response: {FIRST_RESPONSE_TARGET_SECONDS}s, next_response: 1h, resolution: 1h}}
    warnings: [0.5]
    escalation_policy: regional
  - name: relaxed
    when: {{region: [{", ".join(relaxed)}]}}
    targets: {{first_response: 1h, next_response: 1h, resolution: 8h}}
    escalation_policy: regional
escalation_policies:
  - name: regional
    levels:
      - {{name: regional coordinator, targets: ["role:coordinator"], acknowledge_within: 10m}}
coordinators:
  - {{id: greta, name: Greta, regions: [{regions.dach}], roles: [coordinator]}}
  - {{id: camille, name: Camille, regions: [{regions.eu_west}], roles: [coordinator]}}
  - {{id: nils, name: Nils, regions: [{regions.nordics}], roles: [coordinator]}}
"""


async def start_groups_at_end(bootstrap: str, groups: list[str]) -> None:
    """Commit each consumer group's offsets at the end of every topic: on a broker shared
    with earlier tests the services then start from now, as on a fresh deployment, instead of
    replaying every earlier test's events before reaching ours."""
    names = [topic.name for topic in ALL_TOPICS]
    await create_topics(bootstrap, names)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        partitions = [
            TopicPartition(topic["topic"], partition["partition"])
            for topic in await admin.describe_topics(names)
            for partition in topic["partitions"]
        ]
    finally:
        await admin.close()
    for group in groups:
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.commit(await consumer.end_offsets(partitions))
        finally:
            await consumer.stop()


def run_async(coroutine: Any) -> Any:
    """Run a coroutine to completion from sync code (in a thread: a loop may be running)."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@dataclass
class Platform:
    """The four services started the way ``switchboard-up`` starts them (the launcher's
    wiring and processes), on the test session's broker and PostgreSQL server."""

    kafka_bootstrap: str
    database_urls: dict[str, str]
    workdir: Path
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:6])
    services: dict[str, ServiceProcess] = field(default_factory=dict)
    graph_port: int = field(default_factory=free_port)
    """Where intake sends Meta's Graph requests: the ``graph`` fixture's stand-in."""
    smtp_port: int = field(default_factory=free_port)
    """Where intake's own SMTP receiver listens."""
    only: tuple[str, ...] = SERVICES
    """The services started (a test of two of them need not start four)."""
    settings: dict[str, str] = field(default_factory=dict)
    """Settings (without prefix) every service started gets, e.g. where traces go."""
    environment: dict[str, str] = field(default_factory=dict)
    """Variables every service process gets beside its settings (the SDK's ``OTEL_*``)."""
    replicas: dict[str, int] = field(default_factory=dict)
    """Processes per service (default 1), e.g. ``{"routing": 3}``: each its own port, all
    on the service's database and consumer group; ``url(service, i)`` is replica ``i``'s,
    ``services[replica_label(service, i)]`` its process (``routing``, ``routing-1``...).
    Only intake's first replica runs its SMTP receiver."""

    def __post_init__(self) -> None:
        self.regions = Regions.for_run(self.run_id)
        # Fixed at start, while adapters are registered at run time: the receiver counts
        # mail as this adapter's, which a test registers (``Intake.smtp_receiver_adapter``).
        self.smtp_adapter_id = f"email-smtp-{self.run_id}"

    @property
    def meta_graph_base(self) -> str:
        return f"http://{LOOPBACK}:{self.graph_port}/v23.0"

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, *, ready_timeout: float = 120.0) -> None:
        policies = self.workdir / "routing-policies.yaml"
        policies.write_text(routing_policies(self.regions))
        escalation_yaml = self.workdir / "escalation.yaml"
        escalation_yaml.write_text(escalation_config(self.regions))
        groups = {name: f"e2e-{name}-{self.run_id}" for name in SERVICES}
        run_async(start_groups_at_end(self.kafka_bootstrap, list(groups.values())))
        faster = {"OUTBOX_POLL_SECONDS": "0.2", "TIMER_POLL_SECONDS": "0.1"}
        wiring = Wiring(
            ports={name: free_port() for name in SERVICES},
            extra_ports={
                name: [free_port() for _ in range(self.replica_count(name) - 1)]
                for name in SERVICES
            },
            database_urls=self.database_urls,
            kafka_bootstrap=self.kafka_bootstrap,
            routing_policies=policies,
            escalation_config=escalation_yaml,
            survey_delay_seconds=SURVEY_DELAY_SECONDS,
            environment="test",
            jwt_secret=JWT_SECRET,
            overrides={
                name: {"CONSUMER_GROUP": groups[name], **faster, **specific, **self.settings}
                for name, specific in {
                    # A reply no adapter takes dies in about a second, not minutes.
                    "intake": {
                        "ADAPTER_CACHE_SECONDS": "0",
                        "OUTBOUND_FIRST_RETRY_SECONDS": str(OUTBOUND_FIRST_RETRY_SECONDS),
                        "OUTBOUND_MAX_RETRY_SECONDS": "0.5",
                        "OUTBOUND_MAX_ATTEMPTS": str(OUTBOUND_MAX_ATTEMPTS),
                        # Meta's Graph API is a stand-in on loopback, never Meta's.
                        "META_GRAPH_BASE": self.meta_graph_base,
                        "SMTP_ENABLED": "true",
                        "SMTP_HOST": LOOPBACK,
                        "SMTP_PORT": str(self.smtp_port),
                        "SMTP_ADAPTER_ID": self.smtp_adapter_id,
                        "SMTP_RECIPIENTS": MAIL_DOMAIN,
                    },
                    "routing": {"SYNC_SECONDS": "0.1"},
                    "escalation": {},
                    "feedback": {"SURVEY_SUPPRESSION_DAYS": "0"},
                }.items()
            },
        )
        base = {k: v for k, v in os.environ.items() if not k.startswith("SWITCHBOARD_")}
        base |= self.environment
        venv_bin = Path(sys.executable).parent
        for name in self.only:
            for i, port in enumerate(wiring.replica_ports(name)):
                env = replica_environment(name, i, wiring, base)
                label = replica_label(name, i)
                log = self.workdir / f"{label}.log"
                self.services[label] = ServiceProcess(name, port, env, log, replica=i)
        start_all(self.services.values(), venv_bin)
        wait_ready(self.services.values(), ready_timeout)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM to every service at once, then kill whichever is still up after ``grace``."""
        stop_all(self.services.values(), grace)

    def tails(self, lines: int = 40) -> str:
        return log_tails(self.services.values(), lines)

    def replica_count(self, service: str) -> int:
        return self.replicas.get(service, 1)

    def url(self, service: str, i: int = 0) -> str:
        """Replica ``i`` of ``service`` (0: the first)."""
        return self.services[replica_label(service, i)].url

    def urls(self, service: str) -> list[str]:
        return [self.url(service, i) for i in range(self.replica_count(service))]

    # -- credentials ----------------------------------------------------------------------

    @staticmethod
    def auth(subject: str, role: str = "agent", regions: tuple[str, ...] = ()) -> dict[str, str]:
        """A bearer token every service accepts (they share the secret and audience)."""
        token = TokenVerifier(JWT_SECRET, AUDIENCE).issue(
            subject=subject, role=role, regions=regions, ttl=timedelta(minutes=10)
        )
        return {"Authorization": f"Bearer {token}"}


@dataclass
class Adapter:
    id: str
    channel: str
    secret: str


class Intake:
    """What a channel adapter and an intake admin do, over HTTP."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform, self.client = platform, client
        self.base = platform.url("intake")

    async def register(self, channel: str, region: str, **spec: Any) -> Adapter:
        adapter_id = f"{channel}-{uuid.uuid4().hex[:8]}"
        response = await self.client.post(
            f"{self.base}/v1/admin/adapters",
            json={"id": adapter_id, "channel": channel, "region": region, **spec},
            headers=self.platform.auth("service:e2e", "admin"),
        )
        assert response.status_code == 201, response.text
        return Adapter(adapter_id, channel, response.json()["secret"])

    async def smtp_receiver_adapter(self, region: str, **spec: Any) -> str:
        """The e-mail adapter intake's SMTP receiver counts mail as (its id fixed when the
        platform started): registered by the first test that needs it, its ``spec``
        (credentials, outbound_url) changed by later ones; its region stays the first's."""
        adapter_id = self.platform.smtp_adapter_id
        admin = self.platform.auth("e2e-admin", "admin")
        url = f"{self.base}/v1/admin/adapters"
        response = await self.client.post(
            url,
            json={"id": adapter_id, "channel": "email", "region": region, **spec},
            headers=admin,
        )
        if response.status_code == 409:
            changes = {k: v for k, v in spec.items() if k in ("credentials", "outbound_url")}
            response = await self.client.patch(f"{url}/{adapter_id}", json=changes, headers=admin)
            assert response.status_code == 200, response.text
            assert response.json()["region"] == region, "registered earlier in another region"
        else:
            assert response.status_code == 201, response.text
        return adapter_id

    async def post(
        self,
        adapter: Adapter,
        body: bytes | dict[str, Any],
        *,
        content_type: str = "application/json",
        secret: str | None = None,
        at: datetime | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        headers = signed_headers(secret or adapter.secret, raw, at=at)
        return await self.client.post(
            f"{self.base}/v1/adapters/{adapter.id}/contacts/{adapter.channel}",
            content=raw,
            headers=headers | {"content-type": content_type},
        )

    async def unsealed(self, event: Any) -> Any:
        """The event with the personal fields sealed in it back in place, opened with the
        customer's key from intake (as a service holding the key reads them); unchanged
        when it has none sealed or its customer was erased."""
        if getattr(event, "sealed", None) is None:
            return event
        answer = await self.client.get(
            f"{self.base}/v1/personal-keys/{event.sealed.key_id}",
            headers=self.platform.auth("service:e2e", "admin"),
        )
        if answer.status_code == 410:
            return event
        assert answer.status_code == 200, answer.text
        key = base64.b64decode(answer.json()["key"])
        fields = open_sealed(SealedFields(**event.sealed.model_dump()), key=key)
        return event.model_copy(update={**fields, "sealed": None})

    async def reply_when_held(
        self, agent_id: str, case_id: str, body: dict[str, Any], **headers: str
    ) -> dict[str, Any]:
        """The agent's reply through intake, posted once intake has heard that the agent
        holds the case (403 until then); the 202's body."""
        url = f"{self.base}/v1/cases/{case_id}/replies"
        deadline = time.monotonic() + 20
        while True:
            answer = await self.client.post(
                url, json=body, headers=self.platform.auth(agent_id) | headers
            )
            if answer.status_code == 202:
                return answer.json()
            assert answer.status_code == 403, answer.text
            assert time.monotonic() < deadline, "intake never heard of the assignment"
            await asyncio.sleep(0.2)


class Routing:
    """What a routing admin and agents do, over HTTP."""

    def __init__(self, platform: Platform, client: httpx.AsyncClient) -> None:
        self.platform, self.client = platform, client
        self.base = platform.url("routing")

    async def hire(self, agent_id: str, **profile: Any) -> None:
        response = await self.client.put(
            f"{self.base}/v1/agents/{agent_id}",
            json=profile,
            headers=self.platform.auth("service:e2e", "admin"),
        )
        assert response.status_code == 200, response.text

    async def available(self, agent_id: str) -> None:
        await self.presence(agent_id, "available")

    async def presence(self, agent_id: str, presence: str) -> None:
        """The agent sets their presence: available, busy, away or offline."""
        response = await self.client.put(
            f"{self.base}/v1/agents/{agent_id}/presence",
            json={"presence": presence},
            headers=self.platform.auth(agent_id),
        )
        assert response.status_code == 200, response.text

    async def act(
        self, agent_id: str, case_id: str, action: str, body: Any = None
    ) -> httpx.Response:
        return await self.client.post(
            f"{self.base}/v1/cases/{case_id}/{action}",
            json=body,
            headers=self.platform.auth(agent_id),
        )


class EventLog:
    """Every Switchboard event on the broker, read from the start by a background task and
    decoded with the contracts registry."""

    def __init__(self, bootstrap_servers: str) -> None:
        self.envelopes: list[Envelope[Any]] = []
        self._feed = EventFeed(
            bootstrap_servers,
            self.envelopes.append,
            topics=[topic.name for topic in ALL_TOPICS],
            from_start=True,
        )

    async def __aenter__(self) -> EventLog:
        await self._feed.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._feed.stop()

    def events(self, kind: type, where: Callable[[Any], bool] = lambda _: True) -> list[Any]:
        return [e.data for e in self.of(kind, where)]

    def of(self, kind: type, where: Callable[[Any], bool] = lambda _: True) -> list[Envelope[Any]]:
        """The envelopes (CloudEvents id, source, time and data) of matching events."""
        return [e for e in list(self.envelopes) if isinstance(e.data, kind) and where(e.data)]

    async def wait_for(
        self,
        kind: type,
        where: Callable[[Any], bool] = lambda _: True,
        *,
        count: int = 1,
        timeout: float = 20.0,
    ) -> list[Any]:
        deadline = time.monotonic() + timeout
        while len(found := self.events(kind, where)) < count:
            if time.monotonic() > deadline:
                seen = sorted({e.type for e in self.envelopes})
                raise AssertionError(
                    f"{len(found)} of {count} {kind.__name__} within {timeout} s; "
                    f"event types seen: {seen}"
                )
            await asyncio.sleep(0.05)
        return found


async def taken_by(
    agent: str,
    *,
    intake: Intake,
    routing: Routing,
    events: EventLog,
    adapter: Any,
    contact: Any,
    **post: Any,
) -> str:
    """The contact posted as the adapter, offered to ``agent`` and accepted: its case id."""
    posted = await intake.post(adapter, contact, **post)
    assert posted.status_code == 202, posted.text
    case_id = str(posted.json()["case_id"])
    await events.wait_for(
        CaseOffered, lambda e: e.case_id == case_id and e.agent_id == agent, timeout=30
    )
    accepted = await routing.act(agent, case_id, "accept")
    assert accepted.status_code == 200, accepted.text
    return case_id
