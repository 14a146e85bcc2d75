"""One trace from a channel adapter's request to the agent's offer, across two services.

Intake and routing run as real processes with tracing on, exporting OTLP/HTTP to a receiver
in the test; the test is the adapter, its httpx client traced. The adapter's request, intake's
HTTP span and its SQL, the outbox relay's publish to Kafka, routing's processing of the
record and its SQL, and the publish of the offer must all be one trace, each hop the child
of the one before."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard.adapter_client import AdapterClient, ChatContact, ChatVisitor
from switchboard.contracts.events import CaseOffered
from switchboard.contracts.topics import ASSIGNMENTS, CASES
from switchboard.servicekit.testing.helpers import eventually

from .otlp_receiver import OtlpReceiver, ReceivedSpan
from .platform import Intake, Platform, Routing

pytestmark = [pytest.mark.e2e, pytest.mark.integration, pytest.mark.timeout(240)]

TRACED = ("intake", "routing")


@pytest.fixture(scope="module")
def receiver() -> Iterator[OtlpReceiver]:
    with OtlpReceiver() as running:
        yield running


@pytest.fixture(scope="module")
def traced_platform(
    kafka_bootstrap: str, postgres_server, receiver: OtlpReceiver, tmp_path_factory
) -> Iterator[Platform]:
    """Intake and routing with tracing on, their own databases, exporting to ``receiver``."""
    run = uuid.uuid4().hex[:8]
    names = {service: f"e2e_traced_{service}_{run}" for service in TRACED}
    urls = {service: postgres_server.create_database(name) for service, name in names.items()}
    platform = Platform(
        kafka_bootstrap,
        urls,
        tmp_path_factory.mktemp("traced-platform"),
        only=TRACED,
        settings={"OTEL_EXPORTER": "otlp", "OTEL_ENDPOINT": receiver.endpoint},
        environment={"OTEL_BSP_SCHEDULE_DELAY": "200"},  # export every 0.2 s, not every 5
    )
    try:
        platform.start()
        yield platform
    finally:
        platform.stop()
        if getattr(postgres_server, "shared", False):
            for name in names.values():
                postgres_server.drop_database(name)


@pytest.fixture
async def admin_http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=10.0) as client:
        yield client


def path_to_root(span: ReceivedSpan, spans: list[ReceivedSpan]) -> list[ReceivedSpan]:
    """``span``, its parent, the parent's parent... as far as the received spans go."""
    by_id = {s.span_id: s for s in spans}
    path = [span]
    while path[-1].parent_id in by_id:
        path.append(by_id[path[-1].parent_id])
    return path


async def test_one_trace_from_the_adapter_s_request_to_the_agent_s_offer(
    traced_platform: Platform, receiver: OtlpReceiver, admin_http: httpx.AsyncClient
):
    platform, token = traced_platform, uuid.uuid4().hex[:8]
    intake, routing = Intake(platform, admin_http), Routing(platform, admin_http)
    region = platform.regions.nordics
    adapter = await intake.register("chat", region)
    agent = f"sigrid-{token}"
    await routing.hire(agent, region=region, languages=["nb"], skills={"support": 8})
    await routing.available(agent)
    await asyncio.sleep(2)  # the index has her (synced every 0.1 s): offered on arrival

    # The adapter traces its own requests (its provider, not the test process's global one).
    exporter = InMemorySpanExporter()
    adapter_tracing = TracerProvider(resource=Resource.create({"service.name": "adapter"}))
    adapter_tracing.add_span_processor(SimpleSpanProcessor(exporter))
    # A test before this one may have traced every httpx client of this process (servicekit's
    # setup_tracing does, for a service): its span would sit between the adapter's and
    # intake's, exported nowhere. The adapter here is its own process in spirit: only its own.
    process_wide = HTTPXClientInstrumentor()
    was_on = process_wide.is_instrumented_by_opentelemetry
    if was_on:
        process_wide.uninstrument()
    try:
        async with httpx.AsyncClient(base_url=intake.base, timeout=10.0) as http:
            HTTPXClientInstrumentor.instrument_client(http, tracer_provider=adapter_tracing)
            client = AdapterClient(intake.base, adapter.id, adapter.secret, http=http)
            accepted = await client.post_contact(
                ChatContact(
                    session_id=f"s-{token}",
                    message_id="1",
                    visitor=ChatVisitor(id=f"v-{token}", name="Kari Nordmann"),
                    message="Hei! Pakken min har ikke kommet. Kan dere sjekke hvor den er?",
                )
            )
    finally:
        if was_on:
            process_wide.instrument()
    [posted] = exporter.get_finished_spans()
    trace_id = f"{posted.context.trace_id:032x}"
    adapter_span = f"{posted.context.span_id:016x}"

    async def offer_published() -> list[ReceivedSpan]:
        return [
            s
            for s in receiver.trace(trace_id)
            if s.service == "routing"
            and s.kind == "producer"
            and s.attributes.get("messaging.destination.name") == ASSIGNMENTS.name
            and s.attributes.get("cloudevents.event_type") == CaseOffered.event_type
        ]

    assert await eventually(offer_published, timeout=30), (
        f"no offer published in the adapter's trace; it holds: "
        f"{sorted(map(str, receiver.trace(trace_id)))}\n{platform.tails(30)}"
    )
    [offer] = await offer_published()

    async def back_to_the_adapter() -> bool:
        """The outermost spans end last, so each service exports them in a later batch."""
        return path_to_root(offer, receiver.trace(trace_id))[-1].parent_id == adapter_span

    await eventually(back_to_the_adapter, timeout=15)
    await asyncio.sleep(1)  # the last batches of spans
    spans = receiver.trace(trace_id)
    assert receiver.refused == 0

    # The offer's publish leads back, parent by parent, to the adapter's request.
    assert offer.attributes["messaging.kafka.message.key"] == accepted.case_id
    hops = path_to_root(offer, spans)
    assert hops[-1].parent_id == adapter_span, [str(s) for s in hops]
    route = [(s.service, s.kind) for s in hops if s.kind != "internal"]
    assert route == [
        ("routing", "producer"),  # the offer to switchboard.assignments
        ("routing", "consumer"),  # the case's event, processed
        ("intake", "producer"),  # the outbox relay's publish to switchboard.cases
        ("intake", "server"),  # the adapter's request
    ], [str(s) for s in hops]
    hop = {(s.service, s.kind): s for s in hops}
    intake_request, cases_published = hop["intake", "server"], hop["intake", "producer"]
    processed = hop["routing", "consumer"]
    assert intake_request.name.startswith("POST /v1/adapters/{adapter_id}/contacts/")
    assert cases_published.attributes["messaging.destination.name"] == CASES.name
    assert processed.name == f"{CASES.name} process"

    # Each service's SQL is in the trace: the request's reads, the rows of its transaction
    # (group commit), the records' transaction in routing (inbox, case queued, offer).
    def statements(service: str) -> str:
        return "\n".join(
            str(s.attributes.get("db.statement"))
            for s in spans
            if s.service == service and s.kind == "client" and s.attributes.get("db.system")
        )

    assert "FROM intake_adapters" in statements("intake")
    assert "INSERT INTO intake_contacts" in statements("intake")
    assert "INSERT INTO sk_outbox" in statements("intake")
    assert "INSERT INTO sk_inbox" in statements("routing")
    assert "INSERT INTO routing_offers" in statements("routing")
    assert "UPDATE routing_agents" in statements("routing")
    assert "INSERT INTO sk_outbox" in statements("routing")
    assert {s.service for s in spans} == {"intake", "routing"}
    assert all(s.parent_id in {adapter_span} | {p.span_id for p in spans} for s in spans), (
        "a span of the trace whose parent was never exported"
    )
