"""Providers' own webhooks and intake's SMTP receiver, against intake's generic endpoints, on
a private broker and database, all in one run.

Intake is served as ``switchboard-intake serve`` serves it (2 uvicorn workers, each with its
group commit, its relay to Kafka and its SMTP receiver on one shared loopback port). Every
contact is a new customer (new case: the heaviest path).

1. WhatsApp Cloud notifications (one message each, signed ``X-Hub-Signature-256`` with the
   app secret) at ``/v1/providers/meta/{adapter}`` against the same message as the generic
   signed social contact (Standard Webhooks) at ``/v1/adapters/{adapter}/contacts/social``:
   (a) in alternating closed-loop rounds, the rate at which their ContactReceived events
       appear on Kafka (``switchboard.cases``; the round's events over the time from its
       first POST to its last event's record timestamp) and the CPU per contact of the
       server's processes and PostgreSQL's. Target: provider / generic ≥ 80 %, per round
       as median and spread;
   (b) in alternating open-loop rounds at half the generic rate of (a), the same for both,
       POST (its due time) → ContactReceived on Kafka (record timestamp), p50/p99.
2. The SMTP receiver: aiosmtplib clients on concurrent connections, each message 20 KB of
   multipart/mixed (text and HTML alternatives, a 1 KB PDF) from a new sender; messages
   accepted (250) per second, per-message latency (DATA sent → 250), CPU per message, and
   that every accepted message's contact reached Kafka. Baseline in alternating rounds: the
   same messages posted raw (``message/rfc822``, signed) to ``/v1/adapters/{adapter}/
   contacts/email`` with as many requests in flight as there are SMTP connections, and the
   ratio. No target.
Loopback only. ``--smoke``: tiny sizes, checks it runs and the numbers are sane.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiokafka import AIOKafkaConsumer
from case_watch import Seen, partitions_of
from infra import infrastructure
from load import Answer, LoadResult, Request, closed_loop, http_request, open_loop
from process_cpu import postmaster_of, process_table, tree_cpu
from smtp_load import Mail, SmtpResult, multipart_message, send_closed_loop
from sqlalchemy.engine import make_url
from stats import Distribution, over_runs, ratio

from switchboard.contracts.topics import CASES
from switchboard.intake.bootstrap import DEFINITION
from switchboard.intake.domain.channel_adapters import AdapterSpec
from switchboard.intake.domain.meta_graph import signed
from switchboard.intake.domain.signatures import sign
from switchboard.intake.service_layer import channel_adapters
from switchboard.intake.settings import IntakeSettings
from switchboard.launcher.processes import LOOPBACK, stop_all, wait_ready
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.devinfra import free_port
from switchboard.servicekit.migrations import migrate

VENV_BIN = Path(sys.executable).parent
TARGET_RATIO = 0.80
LEAD_SECONDS = 5.0
"""Open loop: the first request is due this long after the requests are built, time for
``load`` to start its client processes (each imports this script) on a busy machine; if they
are later still, ``load`` moves the schedule (``--smoke`` takes that chance)."""
APP_SECRET = "bench-meta-app-secret-0123456789abcdef"
PHONE_NUMBER_ID = "106540352242922"
MAIL_DOMAIN = "acme.test"
TEXTS = [
    "Hej, min ordre er ikke kommet, og ingen svarer på mine beskeder.",
    "Bonjour, ma commande n'est toujours pas arrivée et personne ne me répond.",
    "Dzień dobry, moja paczka nadal nie dotarła i nikt nie odpowiada.",
    "Hei, tilaukseni ei ole vieläkään saapunut, missä se on?",
]
CUSTOMERS = itertools.count(random.randrange(0, 5_000_000))
"""Danish mobile numbers 2xxxxxxx, one per contact: every contact a new customer."""


def load_text() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


# --- what is posted -------------------------------------------------------------------------


def whatsapp_message(index: int) -> tuple[str, str, str]:
    """(the customer's number, the message's wamid, its text)."""
    number = f"45{20_000_000 + next(CUSTOMERS)}"
    return number, f"wamid.bench-{uuid.uuid4().hex}", TEXTS[index % len(TEXTS)]


def meta_body(index: int) -> bytes:
    """A WhatsApp Cloud notification of one text message, as pywa's tests/data/updates/
    message.json is shaped."""
    number, wamid, text = whatsapp_message(index)
    value = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "4570102030", "phone_number_id": PHONE_NUMBER_ID},
        "contacts": [{"profile": {"name": "Ann Hansen"}, "wa_id": number}],
        "messages": [
            {
                "from": number,
                "id": wamid,
                "timestamp": str(int(time.time())),
                "type": "text",
                "text": {"body": text},
            }
        ],
    }
    change = {"value": value, "field": "messages"}
    document = {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [change]}]}
    return json.dumps(document).encode()


def social_body(index: int) -> bytes:
    """The same message as the generic social contact an adapter of its own would post."""
    number, wamid, text = whatsapp_message(index)
    return json.dumps(
        {
            "platform": "whatsapp",
            "handle": f"+{number}",
            "visibility": "private",
            "kind": "message",
            "item_id": wamid,
            "conversation_id": number,
            "customer_name": "Ann Hansen",
            "text": text,
        }
    ).encode()


@dataclass(frozen=True)
class Endpoint:
    """One way in: its URL, how a request is built, and which answers made contacts."""

    name: str
    url: str
    build: Callable[[int], tuple[bytes, dict[str, str]]]
    accepted: int

    def requests(self, count: int, *, rate: float = 0.0, lead: float = 0.0) -> list[Request]:
        """``count`` new customers' requests; if ``rate``, due at ``rate`` per second from
        ``lead`` seconds on (built just before the round: signatures are good 5 minutes)."""
        start = time.time() + lead
        prepared = []
        for index in range(count):
            body, headers = self.build(index)
            due = start + index / rate if rate else 0.0
            prepared.append(Request(http_request("POST", self.url, body, headers), due=due))
        return prepared


def meta_endpoint(base: str, adapter_id: str) -> Endpoint:
    def build(index: int) -> tuple[bytes, dict[str, str]]:
        body = meta_body(index)
        headers = {
            "content-type": "application/json",
            "x-hub-signature-256": signed(APP_SECRET, body),
        }
        return body, headers

    return Endpoint("whatsapp", f"{base}/v1/providers/meta/{adapter_id}", build, 200)


def generic_endpoint(base: str, adapter_id: str, kind: str, secret: str, body_of) -> Endpoint:
    def build(index: int) -> tuple[bytes, dict[str, str]]:
        body, content_type = body_of(index)
        headers = {"content-type": content_type}
        headers |= sign(
            secret=secret, webhook_id=f"wh-{uuid.uuid4().hex}", body=body, at=datetime.now(UTC)
        )
        return body, headers

    return Endpoint(kind, f"{base}/v1/adapters/{adapter_id}/contacts/{kind}", build, 202)


def new_sender(index: int) -> str:
    return f"kunde.{uuid.uuid4().hex[:12]}@example.dk"


def mails(count: int) -> list[Mail]:
    return [
        Mail(
            sender,
            f"support@{MAIL_DOMAIN}",
            multipart_message(index, sender=sender, recipient=f"support@{MAIL_DOMAIN}"),
        )
        for index in range(count)
        for sender in [new_sender(index)]
    ]


def contact_ids(answer: Answer, accepted: int) -> list[str]:
    if answer.status != accepted:
        return []
    body = answer.json()
    if "contacts" in body:  # Meta's answer: the contacts its messages made
        return [each["contact_id"] for each in body["contacts"] if not each["duplicate"]]
    return [body["contact_id"]]


# --- what reaches Kafka ---------------------------------------------------------------------


class ContactEvents:
    """ContactReceived records on ``switchboard.cases`` from the topic's end on, read by a
    plain consumer in a thread of its own (the load runs in blocking calls): contact id →
    when this process read it and its record timestamp (the relay's producer's CreateTime)."""

    def __init__(self, bootstrap: str) -> None:
        self.bootstrap = bootstrap
        self.seen: dict[str, Seen] = {}
        self._positioned = threading.Event()
        self._stopping = threading.Event()
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._main, daemon=True)

    def __enter__(self) -> ContactEvents:
        self._thread.start()
        if not self._positioned.wait(120):
            raise RuntimeError(f"the Kafka consumer did not start: {self._failure!r}")
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(30)

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as error:
            self._failure = error
            self._positioned.set()

    async def _run(self) -> None:
        partitions = await partitions_of(self.bootstrap, [CASES.name])
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            group_id=None,
            enable_auto_commit=False,
            fetch_max_wait_ms=50,
        )
        await consumer.start()
        try:
            consumer.assign(partitions)
            await consumer.seek_to_end(*partitions)
            for tp in partitions:
                await consumer.position(tp)
            self._positioned.set()
            while not self._stopping.is_set():
                batch = await consumer.getmany(timeout_ms=100)
                received = time.time()
                for records in batch.values():
                    for record in records:
                        kind = dict(record.headers).get("ce_type", b"").decode()
                        if kind == "switchboard.contact.received":
                            contact = json.loads(record.value)["contact_id"]
                            self.seen[contact] = Seen(received, record.timestamp / 1000)
        finally:
            await asyncio.sleep(0.1)  # a consumer stopped at once trips over its start-up task
            await consumer.stop()

    def wait_for(self, contacts: list[str], *, limit: float = 60.0, quiet: float = 15.0) -> int:
        """Until every contact's event was read, no progress for ``quiet`` s, or ``limit`` s;
        how many were read."""
        deadline, last, changed = time.monotonic() + limit, -1, time.monotonic()
        while True:
            if self._failure is not None:
                raise RuntimeError(f"the Kafka consumer failed: {self._failure!r}")
            done = sum(1 for contact in contacts if contact in self.seen)
            if done == len(contacts) or time.monotonic() > deadline:
                return done
            if done != last:
                last, changed = done, time.monotonic()
            elif time.monotonic() - changed > quiet:
                return done
            time.sleep(0.2)


# --- rounds ---------------------------------------------------------------------------------


@dataclass
class Cpu:
    server_pid: int
    postmaster: int | None

    def seconds(self) -> tuple[float, float]:
        processes = process_table()
        database = (
            tree_cpu(processes, self.postmaster) if self.postmaster is not None else float("nan")
        )
        return tree_cpu(processes, self.server_pid), database


@dataclass
class Round:
    """One round against one endpoint: what was answered, which contacts it made, when their
    events reached Kafka, and the CPU spent meanwhile."""

    answers: list[Answer]
    statuses: dict[int, int]
    contacts: dict[str, float]
    """contact id → when its request was due (open loop) or sent."""
    on_kafka: dict[str, Seen]
    started: float
    server_cpu: float
    database_cpu: float
    accepted_rate: float

    @property
    def kafka_rate(self) -> float:
        """Events on Kafka per second, from the first request to the last event."""
        if not self.on_kafka:
            return 0.0
        last = max(seen.stamped for seen in self.on_kafka.values())
        return len(self.on_kafka) / max(last - self.started, 1e-3)

    def kafka_latencies(self) -> list[float]:
        return [seen.stamped - self.contacts[c] for c, seen in self.on_kafka.items()]

    @property
    def missing(self) -> int:
        return len(self.contacts) - len(self.on_kafka)


def http_round(
    endpoint: Endpoint,
    load: Callable[[list[Request]], LoadResult],
    requests: list[Request],
    events: ContactEvents,
    cpu: Cpu,
) -> Round:
    server_before, database_before = cpu.seconds()
    result = load(requests)
    contacts = {
        contact: answer.due or answer.sent
        for answer in result.answers
        for contact in contact_ids(answer, endpoint.accepted)
    }
    events.wait_for(list(contacts))
    server_after, database_after = cpu.seconds()
    started = min((a.due or a.sent for a in result.answers if a.sent), default=time.time())
    return Round(
        answers=list(result.answers),
        statuses=result.statuses() | ({0: sum(result.errors.values())} if result.errors else {}),
        contacts=contacts,
        on_kafka={c: events.seen[c] for c in contacts if c in events.seen},
        started=started,
        server_cpu=server_after - server_before,
        database_cpu=database_after - database_before,
        accepted_rate=len(contacts) / result.elapsed if result.elapsed else 0.0,
    )


def smtp_round(
    address: tuple[str, int],
    batch: list[Mail],
    args: argparse.Namespace,
    events: ContactEvents,
    cpu: Cpu,
) -> Round:
    server_before, database_before = cpu.seconds()
    result: SmtpResult = send_closed_loop(
        *address,
        batch,
        clients=args.clients,
        concurrency=args.smtp_connections,
        seconds=args.smtp_seconds / args.rounds,
    )
    contacts = {
        each.reply.rsplit(" ", 1)[-1]: each.sent
        for each in result.sent
        if each.code == 250 and "as contact" in each.reply
    }
    events.wait_for(list(contacts))
    server_after, database_after = cpu.seconds()
    answers = [Answer("", s.code, 0.0, s.sent, s.answered, b"") for s in result.sent]
    return Round(
        answers=answers,
        statuses=result.codes() | ({0: sum(result.errors.values())} if result.errors else {}),
        contacts=contacts,
        on_kafka={c: events.seen[c] for c in contacts if c in events.seen},
        started=min((s.sent for s in result.sent), default=time.time()),
        server_cpu=server_after - server_before,
        database_cpu=database_after - database_before,
        accepted_rate=result.rate(250),
    )


def statuses(rounds: list[Round]) -> dict[int, int]:
    counted: dict[int, int] = {}
    for each in rounds:
        for status, count in each.statuses.items():
            counted[status] = counted.get(status, 0) + count
    return counted


def cpu_line(rounds: list[Round], what: str) -> str:
    made = max(sum(len(r.contacts) for r in rounds), 1)
    server = 1000 * sum(r.server_cpu for r in rounds) / made
    database = 1000 * sum(r.database_cpu for r in rounds) / made
    return f"CPU per {what}: server {server:.2f} ms, PostgreSQL {database:.2f} ms"


def answer_latency(rounds: list[Round]) -> str:
    return Distribution.of([a.latency for r in rounds for a in r.answers if a.status]).ms()


def kafka_latency(rounds: list[Round]) -> str:
    return Distribution.of([x for r in rounds for x in r.kafka_latencies()]).ms()


def ratio_line(label: str, numerators: list[float], denominators: list[float]) -> float:
    per_round = [n / d for n, d in zip(numerators, denominators, strict=True) if d]
    overall = sum(numerators) / sum(denominators) if sum(denominators) else 0.0
    print(
        f"{label} = {ratio(sum(numerators), sum(denominators))} (per round: "
        f"{over_runs([100 * r for r in per_round], ' %', 0)})",
        end="",
    )
    return overall


# --- the run --------------------------------------------------------------------------------


async def register_adapters(database_url: str) -> tuple[str, str]:
    """The WhatsApp adapter, the generic social one and the e-mail one (the SMTP receiver's
    and the raw posts'); the generic ones' secrets."""
    schema = DEFINITION.migrations
    await migrate(database_url, versions_dir=schema.versions_dir, metadata=schema.metadata)
    box = IntakeSettings.load().secret_box()  # the server's: the same environment
    specs = [
        AdapterSpec(
            id="bench-whatsapp",
            channel="social",
            region="nordics",
            provider="whatsapp",
            credentials={
                "app_secret": APP_SECRET,
                "access_token": "EAAG-bench-token",
                "sender_id": PHONE_NUMBER_ID,
            },
        ),
        AdapterSpec(id="bench-social", channel="social", region="nordics"),
        AdapterSpec(id="bench-mail", channel="email", region="nordics"),
    ]
    engine = create_engine(database_url)
    secrets = []
    try:
        async with session_factory(engine)() as session, session.begin():
            for spec in specs:
                _, secret = await channel_adapters.register_adapter(
                    session=session, spec=spec, box=box, now=datetime.now(UTC)
                )
                secrets.append(secret)
    finally:
        await engine.dispose()
    return secrets[1], secrets[2]


def run(args: argparse.Namespace) -> list[str]:
    """The benchmark; returns what was not sane (empty when it measured)."""
    problems: list[str] = []
    with ExitStack() as stack:
        infra = stack.enter_context(infrastructure(prefix="provider-bench-"))
        database = infra.database("intake")
        social_secret, mail_secret = asyncio.run(register_adapters(database))
        smtp_port = free_port()
        intake = infra.service(
            "intake",
            {
                "DATABASE_URL": database,
                "HTTP_WORKERS": str(args.workers),
                "LOG_LEVEL": "WARNING",
                "SMTP_ENABLED": "true",
                "SMTP_HOST": LOOPBACK,
                "SMTP_PORT": str(smtp_port),
                "SMTP_ADAPTER_ID": "bench-mail",
                "SMTP_RECIPIENTS": MAIL_DOMAIN,
            },
            inherit=True,
        )
        intake.start(VENV_BIN)
        stack.callback(stop_all, [intake], 30)
        wait_ready([intake], 300)
        events = stack.enter_context(ContactEvents(infra.bootstrap))
        cpu = Cpu(intake.process.pid, postmaster_of(make_url(database).port or 5432))

        meta = meta_endpoint(intake.url, "bench-whatsapp")
        social = generic_endpoint(
            intake.url,
            "bench-social",
            "social",
            social_secret,
            lambda index: (social_body(index), "application/json"),
        )
        prepared: list[Mail] = []
        email = generic_endpoint(
            intake.url,
            "bench-mail",
            "email",
            mail_secret,
            lambda index: (prepared[index].raw, "message/rfc822"),
        )

        def closed(endpoint: Endpoint, count: int, seconds: float, concurrency: int) -> Round:
            requests = endpoint.requests(count)
            return http_round(
                endpoint,
                lambda r: closed_loop(
                    endpoint.url, r, clients=args.clients, concurrency=concurrency, seconds=seconds
                ),
                requests,
                events,
                cpu,
            )

        for endpoint in (meta, social):  # warm-up: caches, prepared statements, pools
            if args.warmup:
                closed(endpoint, args.warmup, 10, args.concurrency)
        per_round = args.seconds / args.rounds
        webhook: dict[str, list[Round]] = {"whatsapp": [], "social": []}
        for _ in range(args.rounds):  # alternate: both meet the same background load
            for endpoint in (meta, social):
                webhook[endpoint.name].append(
                    closed(endpoint, args.requests, per_round, args.concurrency)
                )

        generic_rate = sum(r.kafka_rate for r in webhook["social"]) / args.rounds
        paced_rate = max(1.0, generic_rate / 2)
        count = int(paced_rate * args.paced_seconds / args.rounds) or 1
        paced: dict[str, list[Round]] = {"whatsapp": [], "social": []}
        for _ in range(args.rounds):
            for endpoint in (meta, social):
                requests = endpoint.requests(count, rate=paced_rate, lead=args.lead)
                paced[endpoint.name].append(
                    http_round(
                        endpoint,
                        lambda r, e=endpoint: open_loop(
                            e.url, r, clients=args.clients, connections=args.concurrency * 4
                        ),
                        requests,
                        events,
                        cpu,
                    )
                )

        address = (LOOPBACK, smtp_port)
        mail: dict[str, list[Round]] = {"smtp": [], "http": []}
        if args.warmup:
            smtp_round(address, mails(args.warmup), args, events, cpu)
            prepared[:] = mails(args.warmup)
            closed(email, args.warmup, 10, args.smtp_connections)
        for _ in range(args.rounds):
            mail["smtp"].append(smtp_round(address, mails(args.mails), args, events, cpu))
            prepared[:] = mails(args.mails)
            mail["http"].append(
                closed(email, args.mails, args.smtp_seconds / args.rounds, args.smtp_connections)
            )

    size = len(mails(1)[0].raw)
    print(
        f"cpus: {os.cpu_count()}, uvicorn workers: {args.workers} (each also an SMTP "
        f"receiver), load clients: {args.clients}, {args.rounds} alternating rounds"
    )
    print(
        f"1. WhatsApp Cloud webhook vs generic social contact, each a new customer "
        f"(closed loop, concurrency {args.concurrency}, {per_round:.1f} s rounds)"
    )
    for name, label in (("whatsapp", "(a) WhatsApp  "), ("social", "    generic    ")):
        rounds = webhook[name]
        print(
            f"{label}ContactReceived on Kafka/s: "
            f"{over_runs([r.kafka_rate for r in rounds], digits=0)}; accepted/s "
            f"{over_runs([r.accepted_rate for r in rounds], digits=0)}; POST → answer "
            f"{answer_latency(rounds)}; statuses {statuses(rounds)}"
        )
        print(f"                 {cpu_line(rounds, 'contact')}")
    overall = ratio_line(
        "    WhatsApp / generic (events on Kafka/s)",
        [r.kafka_rate for r in webhook["whatsapp"]],
        [r.kafka_rate for r in webhook["social"]],
    )
    print(f" [target ≥ {TARGET_RATIO:.0%}] {'✓' if overall >= TARGET_RATIO else '✗'}")
    print(f"(b) paced at {paced_rate:.0f}/s (half the generic rate), open loop:")
    for name, label in (("whatsapp", "    WhatsApp  "), ("social", "    generic   ")):
        rounds = paced[name]
        print(
            f"{label}POST → ContactReceived on Kafka {kafka_latency(rounds)}; "
            f"events/s {over_runs([r.kafka_rate for r in rounds], digits=0)}; "
            f"statuses {statuses(rounds)}"
        )
    print(
        f"2. mail, {size / 1024:.1f} KB multipart (text + HTML + 1 KB PDF), each from a new "
        f"sender ({args.smtp_connections} connections, "
        f"{args.smtp_seconds / args.rounds:.1f} s rounds)"
    )
    smtp, http = mail["smtp"], mail["http"]
    print(
        f"    SMTP receiver accepted (250)/s: "
        f"{over_runs([r.accepted_rate for r in smtp], digits=0)}; DATA → 250 "
        f"{answer_latency(smtp)}; replies {statuses(smtp)}"
    )
    print(f"      {cpu_line(smtp, 'message')}; → ContactReceived on Kafka {kafka_latency(smtp)}")
    print(
        f"    raw message/rfc822 POSTs accepted (202)/s: "
        f"{over_runs([r.accepted_rate for r in http], digits=0)}; POST → 202 "
        f"{answer_latency(http)}; statuses {statuses(http)}"
    )
    print(f"      {cpu_line(http, 'message')}")
    ratio_line("    SMTP / HTTP", [r.accepted_rate for r in smtp], [r.accepted_rate for r in http])
    print(" [no target]")
    every = [r for group in (*webhook.values(), *paced.values(), *mail.values()) for r in group]
    made = sum(len(r.contacts) for r in every)
    missing = sum(r.missing for r in every)
    print(
        f"Kafka: {made - missing} of {made} contacts' ContactReceived read; {load_text()}",
        flush=True,
    )
    if missing:
        problems.append(f"{missing} accepted contacts never reached Kafka")
    if not all(r.kafka_rate for r in every):
        problems.append("a round put nothing on Kafka")
    if not all(r.server_cpu > 0 for r in every):
        problems.append("no server CPU measured in a round")
    refused = {
        status
        for rounds, good in ((webhook, {200, 202}), (paced, {200, 202}), (mail, {250, 202}))
        for group in rounds.values()
        for status in statuses(group)
        if status not in good
    }
    if refused:
        problems.append(f"answers other than accepted: {sorted(refused)}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=8000, help="prepared per round")
    parser.add_argument("--seconds", type=float, default=24.0, help="closed loop, per endpoint")
    parser.add_argument("--paced-seconds", type=float, default=18.0, help="per endpoint")
    parser.add_argument("--rounds", type=int, default=3, help="alternations")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--clients", type=int, default=2, help="load-generating processes")
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument("--warmup", type=int, default=300, help="requests per endpoint")
    parser.add_argument("--mails", type=int, default=2500, help="prepared per round")
    parser.add_argument("--smtp-seconds", type=float, default=18.0, help="per way in")
    parser.add_argument("--smtp-connections", type=int, default=16)
    parser.add_argument("--lead", type=float, default=LEAD_SECONDS, help="open loop")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, to check it runs")
    args = parser.parse_args()
    if args.smoke:
        args.requests, args.seconds, args.rounds, args.warmup = 200, 2.0, 1, 0
        args.paced_seconds, args.mails, args.smtp_seconds = 2.0, 30, 2.0
        args.smtp_connections, args.lead = 4, 1.0
    print(f"cpus: {os.cpu_count()}; {load_text()}", flush=True)
    try:
        problems = run(args)
    except Exception as error:
        print(f"RESULT provider_intake: failed {type(error).__name__}: {error}")
        raise SystemExit(1) from error
    if problems:
        print(f"RESULT provider_intake: failed {'; '.join(problems)}")
        raise SystemExit(1)
    print("RESULT provider_intake: ok")


if __name__ == "__main__":
    main()
