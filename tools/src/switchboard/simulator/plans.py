"""Who gets in touch, on which channel and saying what: drawn from one seeded generator, so
that a seed gives the same day of contacts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime

from switchboard.simulator.channels import (
    Payload,
    chat_contact,
    email_contact,
    email_reply,
    phone_contact,
    social_contact,
)
from switchboard.simulator.customers import Customer, new_customer
from switchboard.simulator.scenario import Region, World
from switchboard.simulator.texts import ANGRY, FOLLOW_UPS, MESSAGES

CHANNEL_SHARES = {"phone": 0.3, "email": 0.3, "chat": 0.25, "social": 0.15}
REPEAT_RATE = 0.15
EMAIL_REPLY_RATE = 0.2
ANGRY_RATE = 0.04
URGENT_RATE = 0.05
BILLING_IVR_RATE = 0.2
PHONE_EVENTS = {"call_started": 0.85, "voicemail": 0.1, "callback_requested": 0.05}


@dataclass
class ContactPlan:
    hour: float
    region: Region
    channel: str
    customer: Customer
    kind: str
    language: str
    subject: str
    text: str
    priority: int | None = None
    angry: bool = False
    department: str | None = None
    phone_event: str = "call_started"
    public: bool = False

    def payload(self, *, region_code: str, agent_reply_id: str | None = None) -> Payload:
        at = datetime.now(UTC)
        customer = self.customer
        if self.channel == "phone":
            return phone_contact(
                customer,
                country=self.region.country,
                transcript=self.text,
                at=at,
                event=self.phone_event,
                department=self.department,
                priority=self.priority,
            )
        if self.channel == "email" and self.kind == "email_reply":
            return email_reply(
                customer,
                region=region_code,
                subject=self.subject,
                body=self.text,
                at=at,
                agent_reply_id=agent_reply_id,
            )
        if self.channel == "email":
            return email_contact(
                customer,
                region=region_code,
                subject=self.subject,
                body=self.text,
                at=at,
                priority=self.priority,
            )
        if self.channel == "chat":
            return chat_contact(customer, message=self.text, at=at, priority=self.priority)
        return social_contact(customer, text=self.text, at=at, public=self.public)


class Planner:
    def __init__(self, world: World, rng: random.Random) -> None:
        self.world, self.rng = world, rng
        self.customers: dict[str, list[Customer]] = {r.name: [] for r in world.regions}
        self.email_subjects: dict[str, str] = {}

    def plan(self, hour: float) -> ContactPlan:
        rng = self.rng
        region = rng.choices(self.world.regions, weights=[r.share for r in self.world.regions])[0]
        channel = rng.choices(list(CHANNEL_SHARES), weights=list(CHANNEL_SHARES.values()))[0]
        known = self.customers[region.name]
        writers = [c for c in known if c.last_email]
        if channel == "email" and writers and rng.random() < EMAIL_REPLY_RATE:
            customer = rng.choice(writers)
            subject = self.email_subjects.get(customer.key, "")
            text = FOLLOW_UPS[customer.language]
            return ContactPlan(
                hour, region, channel, customer, "email_reply", customer.language, subject, text
            )
        if known and rng.random() < REPEAT_RATE:
            customer, kind = rng.choice(known), "repeat"
        else:
            languages = list(region.languages)
            language = rng.choices(languages, weights=list(region.languages.values()))[0]
            customer = new_customer(rng, region=region, language=language, run_id=self.world.run_id)
            known.append(customer)
            kind = "new"
        subject, text = rng.choice(MESSAGES[customer.language])
        angry = rng.random() < ANGRY_RATE
        if angry:
            text = f"{ANGRY[customer.language]} {text}"
        if channel == "email":
            self.email_subjects[customer.key] = subject
        plan = ContactPlan(hour, region, channel, customer, kind, customer.language, subject, text)
        plan.angry = angry
        if channel in ("phone", "chat") and rng.random() < URGENT_RATE:
            plan.priority = 1
        if channel == "phone":
            plan.phone_event = rng.choices(list(PHONE_EVENTS), list(PHONE_EVENTS.values()))[0]
            if rng.random() < BILLING_IVR_RATE:
                plan.department = "billing"
        plan.public = channel == "social" and rng.random() < 0.5
        return plan
