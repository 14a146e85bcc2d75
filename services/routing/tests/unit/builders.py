from datetime import UTC, datetime, timedelta

from switchboard.routing.domain.model import Agent, Channel, Presence, WorkItem

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def agent(
    agent_id: str,
    *,
    pools=("nordics",),
    skills=None,
    languages=("da", "en"),
    region="nordics",
    team="red",
    presence=Presence.AVAILABLE,
    idle_since: datetime | None = None,
) -> Agent:
    return Agent(
        id=agent_id,
        pools=frozenset(pools),
        skills=dict(skills or {}),
        languages=frozenset(languages),
        region=region,
        team=team,
        presence=presence,
        idle_since=idle_since,
    )


def item(
    case_id: str,
    *,
    pool="nordics",
    channel=Channel.CHAT,
    priority=1,
    enqueued_at: datetime = T0,
    language="da",
    department="billing",
    preferred_agent=None,
    preferred_until=None,
    policy="",
    step=0,
    step_started_at: datetime | None = None,
) -> WorkItem:
    return WorkItem(
        case_id=case_id,
        pool=pool,
        channel=channel,
        priority=priority,
        enqueued_at=enqueued_at,
        language=language,
        region=pool,
        department=department,
        preferred_agent=preferred_agent,
        preferred_until=preferred_until,
        policy=policy,
        step=step,
        step_started_at=step_started_at,
    )
