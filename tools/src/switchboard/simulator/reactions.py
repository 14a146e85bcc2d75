"""What the simulated world does with what the platform says: intake's answers, offers for
our agents, survey requests for our customers, SLA and escalation events on our cases; and
the live snapshot built from them and from the services' read APIs."""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from switchboard.contracts.events import (
    AgentStatusChanged,
    CaseOffered,
    CaseResolved,
    EscalationRaised,
    OfferExpired,
    SlaBreached,
    SlaWarned,
    SurveyRequested,
)
from switchboard.simulator.api import PlatformError
from switchboard.simulator.channels import Adapter, Payload, answer_on_thread
from switchboard.simulator.clock import SimClock, clock_time, lognormal
from switchboard.simulator.customers import Customer, answer_survey, will_answer
from switchboard.simulator.outbound import Outbound, plan_delivery, report_delivery
from switchboard.simulator.report import ContactRecord, SurveyRecord
from switchboard.simulator.summary import Snapshot
from switchboard.simulator.texts import FOLLOW_UPS

if TYPE_CHECKING:
    from switchboard.simulator.day import Simulation

SURVEY_ANSWER_MEDIAN_SECONDS = 600.0
ACKNOWLEDGE_MEDIAN_SECONDS = 300.0
"""Simulated seconds until a region's coordinator takes a new escalation."""
ACKNOWLEDGE_RATE = 0.8
"""The share of escalations a coordinator takes; the rest climb to the next level."""
SURVEY_WAIT_AFTER_RESOLUTION = 8.0
"""Real seconds the drain waits after the last resolution for its survey request."""
POLL_EVERY = 2.0
CUSTOMER_ANSWER_RATE = 0.25
"""The share of customers who write back on the thread of a reply they received (once a
case)."""
CUSTOMER_ANSWER_MEDIAN_SECONDS = 300.0


class Reactions:
    def __init__(self, simulation: Simulation) -> None:
        self.sim = simulation
        self.report = simulation.report
        self.region_of_case: dict[str, str] = {}
        self.email_case: dict[str, str] = {}
        self.customer_of_case: dict[str, Customer] = {}
        self.answered_cases: set[str] = set()
        self.delivery_rng = random.Random(f"{simulation.config.seed}:deliveries")
        self.breached: set[str] = set()
        self.survey_rng = random.Random(f"{simulation.config.seed}:surveys")
        self.coordinator_rng = random.Random(f"{simulation.config.seed}:coordinators")
        self.answering = 0
        self.last_resolution = 0.0
        self.names = {code: name for name, code in simulation.world.codes.items()}
        self.snapshot = Snapshot(0, 8.0, tuple(simulation.world.codes))

    def agent_reply_for(self, customer: Customer) -> str | None:
        case_id = self.email_case.get(customer.key)
        return self.sim.replies.get(case_id) if case_id else None

    # -- contacts -------------------------------------------------------------------------

    async def deliver(
        self, adapter: Adapter, payload: Payload, record: ContactRecord, customer: Customer
    ) -> None:
        try:
            response = await self.sim.platform.post_contact(adapter, payload)
        except asyncio.CancelledError:
            record.gave_up = "stopped"
            raise
        except (PlatformError, httpx.HTTPError) as error:
            record.gave_up = f"{type(error).__name__}: {error}"
            self.report.error(f"contact {record.channel}/{record.region}: {error}")
            return
        record.status = response.status_code
        if response.status_code != 202:
            self.report.error(f"intake refused a {record.channel} contact: {response.text[:300]}")
            return
        accepted = response.json()
        record.case_id, record.contact_id = accepted["case_id"], accepted["contact_id"]
        record.customer_id, record.outcome = accepted["customer_id"], accepted["outcome"]
        record.duplicate = bool(accepted["duplicate"])
        customer.customer_id = record.customer_id
        customer.contacts += 1
        self.region_of_case[record.case_id] = record.region
        self.customer_of_case[record.case_id] = customer
        self.sim.languages.setdefault(record.case_id, record.language)
        if record.channel == "email":
            self.email_case[customer.key] = record.case_id
        self.snapshot.contacts[record.region, record.channel] += 1

    # -- what intake sends the customers ---------------------------------------------------

    def outbound(self, adapter: Adapter, message: Outbound) -> None:
        """A reply or survey invitation reached one of our adapters (signature verified):
        the provider reports how far it got, and some customers write back on the thread."""
        conversation = self.report.conversation
        conversation.received += 1
        kind = message.get("kind")
        reply_id = message.get("reply_id") or message.get("survey_id")
        if not isinstance(reply_id, str):
            self.report.error(f"outbound message at {adapter.id} without an id: {kind}")
            return
        if kind == "survey":
            conversation.survey_invitations += 1
        self.sim.spawn(self._deliver_outbound(adapter, reply_id, message))

    async def _deliver_outbound(self, adapter: Adapter, reply_id: str, message: Outbound) -> None:
        conversation, rng = self.report.conversation, self.delivery_rng
        plan = plan_delivery(rng, adapter.channel)
        try:
            answers = await report_delivery(
                self.sim.platform.report_delivery,
                adapter,
                reply_id,
                plan,
                clock=self.sim.clock,
                rng=rng,
            )
        except (PlatformError, httpx.HTTPError) as error:
            self.report.error(f"delivery report for {reply_id}: {error}")
            return
        for state, status in answers:
            if status != 200:
                self.report.error(f"{state} report for {reply_id}: intake answered {status}")
                return
        if plan.failed:
            conversation.failed += 1
            reason = plan.reason or "failed"
            reasons = conversation.failure_reasons
            reasons[reason] = reasons.get(reason, 0) + 1
            return
        conversation.delivered += 1
        conversation.read += "read" in plan.states
        case_id = str(message.get("case_id"))
        customer = self.customer_of_case.get(case_id)
        if (
            message.get("kind") != "reply"
            or customer is None
            or case_id in self.answered_cases
            or rng.random() >= CUSTOMER_ANSWER_RATE
        ):
            return
        self.answered_cases.add(case_id)
        await self.sim.clock.wait(lognormal(rng, CUSTOMER_ANSWER_MEDIAN_SECONDS, 0.5), at_most=4.0)
        await self._answer_reply(adapter, customer, case_id, message)

    async def _answer_reply(
        self, adapter: Adapter, customer: Customer, case_id: str, message: Outbound
    ) -> None:
        region = self.region_of_case.get(case_id, customer.region)
        hour = self.sim.clock.hour()
        payload = answer_on_thread(
            customer,
            message,
            region=adapter.region,
            text=FOLLOW_UPS.get(customer.language, FOLLOW_UPS["en"]),
            at=datetime.now(UTC),
        )
        record = ContactRecord(
            day=self.sim.day,
            sim_time=clock_time(min(hour, 18.0)),
            channel=adapter.channel,
            region=region,
            language=customer.language,
            kind="answer",
            customer=customer.key,
            adapter_id=adapter.id,
            status=0,
        )
        self.report.contacts.append(record)
        await self.deliver(adapter, payload, record, customer)
        if record.status == 202:
            self.report.conversation.customer_answers += 1

    # -- events ---------------------------------------------------------------------------

    def handle(self, event: Any) -> None:
        agents = self.sim.agents
        if isinstance(event, CaseOffered) and event.agent_id in agents:
            self.report.offers.seen += 1
            agents[event.agent_id].offered(event.case_id, event.channel.value)
        elif isinstance(event, OfferExpired) and event.agent_id in agents:
            self.report.offers.expired += 1
        elif isinstance(event, AgentStatusChanged) and event.agent_id in agents:
            agents[event.agent_id].presence_changed(event.presence.value)
        elif isinstance(event, CaseResolved) and event.agent_id in agents:
            self.last_resolution = time.monotonic()
        elif (region := self.region_of_case.get(getattr(event, "case_id", ""))) is not None:
            self._on_our_case(event, region)

    def _on_our_case(self, event: Any, region: str) -> None:
        if isinstance(event, SlaWarned):
            self.report.sla_warnings[region] += 1
        elif isinstance(event, SlaBreached):
            self.report.sla_breaches[region] += 1
            self.breached.add(event.case_id)
        elif isinstance(event, EscalationRaised):
            self.report.escalations[region] += 1
            self.report.escalation_triggers[event.trigger.value] += 1
            if self.coordinator_rng.random() < ACKNOWLEDGE_RATE:
                self.sim.spawn(self._acknowledge(event, region))
        elif isinstance(event, SurveyRequested):
            survey = SurveyRecord(event.survey_id, event.case_id, region)
            self.report.surveys.append(survey)
            if will_answer(self.survey_rng, self.sim.config.survey_response_rate):
                self.sim.spawn(self._answer(survey, event))

    async def _answer(self, survey: SurveyRecord, request: SurveyRequested) -> None:
        self.answering += 1
        try:
            delay = self.survey_rng.lognormvariate(0, 0.6) * SURVEY_ANSWER_MEDIAN_SECONDS
            await self.sim.clock.wait(delay, at_most=5.0)
            answer = answer_survey(
                self.survey_rng,
                language=request.language,
                waited_too_long=request.case_id in self.breached,
            )
            response = await self.sim.platform.answer_survey(request.link, answer.body())
            survey.status = response.status_code
            if response.status_code == 201:
                survey.answered = True
                survey.csat, survey.nps, survey.ces = answer.csat, answer.nps, answer.ces
            else:
                self.report.error(f"survey {survey.survey_id}: {response.status_code}")
        except httpx.HTTPError as error:
            self.report.error(f"survey {survey.survey_id}: {error}")
        finally:
            self.answering -= 1

    async def _acknowledge(self, raised: EscalationRaised, region: str) -> None:
        """The region's coordinator takes it after a while, unless it was resolved (its
        case resolved) or taken meanwhile: then the service answers 409."""
        coordinator = self.sim.world.region(region).coordinator
        delay = self.coordinator_rng.lognormvariate(0, 0.5) * ACKNOWLEDGE_MEDIAN_SECONDS
        await self.sim.clock.wait(delay, at_most=10.0)
        try:
            response = await self.sim.platform.acknowledge(
                coordinator, raised.region, raised.escalation_id, "looking into it"
            )
        except httpx.HTTPError as error:
            self.report.error(f"acknowledging {raised.escalation_id}: {error}")
            return
        if response.status_code == 200:
            self.report.escalations_acknowledged[region] += 1
        elif response.status_code != 409:
            self.report.error(f"acknowledging {raised.escalation_id}: {response.status_code}")

    def settled(self) -> bool:
        quiet = time.monotonic() - self.last_resolution > SURVEY_WAIT_AFTER_RESOLUTION
        return quiet and self.answering == 0

    # -- the live view --------------------------------------------------------------------

    async def observe(self, on_snapshot: Callable[[Snapshot], None] | None) -> None:
        polled = 0.0
        while True:
            if time.monotonic() - polled >= POLL_EVERY:
                polled = time.monotonic()
                await self._poll()
            self._refresh(self.sim.clock)
            if on_snapshot is not None:
                on_snapshot(self.snapshot)
            await asyncio.sleep(0.5)

    def _refresh(self, clock: SimClock) -> None:
        s, report = self.snapshot, self.report
        s.day, s.hour = self.sim.day, min(clock.hour(), 18.0)
        s.sla_warnings, s.sla_breaches = report.sla_warnings, report.sla_breaches
        s.offers_accepted, s.resolutions = report.offers.accepted, report.resolutions
        s.surveys_requested = len(report.surveys)
        s.surveys_answered = len(report.surveys_answered)
        conversation = report.conversation
        s.replies_sent, s.replies_delivered = conversation.replies_sent, conversation.delivered
        s.replies_failed, s.customer_answers = conversation.failed, conversation.customer_answers

    async def _poll(self) -> None:
        platform = self.sim.platform
        try:
            queues = await platform.queues()
            if queues is not None:
                waiting: Counter[str] = Counter()
                for row in queues:
                    if (name := self.names.get(str(row.get("region")))) is not None:
                        waiting[name] += int(row.get("waiting") or 0)
                self.snapshot.waiting = dict(waiting)
            escalations = await platform.open_escalations()
            self.snapshot.open_escalations = Counter(
                self.names[row["region"]] for row in escalations if row["region"] in self.names
            )
            self.snapshot.kpis = await platform.kpis()
        except (PlatformError, httpx.HTTPError) as error:
            self.report.error(f"summary poll: {error}")

    async def final_kpis(self) -> dict[str, Any]:
        try:
            return await self.sim.platform.kpis()
        except (PlatformError, httpx.HTTPError) as error:
            self.report.error(f"final KPIs: {error}")
            return {}
