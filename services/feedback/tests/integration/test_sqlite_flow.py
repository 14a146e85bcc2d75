"""The same handlers on the embedded SQLite file the service uses without PostgreSQL."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import partial

import pytest
from sqlalchemy import select

from switchboard.contracts.envelope import Envelope
from switchboard.feedback import handlers
from switchboard.feedback.adapters.rollup_store import read_slice
from switchboard.feedback.bootstrap import run_migrations
from switchboard.feedback.domain.answers import Answer
from switchboard.feedback.domain.kpis import sum_counters
from switchboard.feedback.domain.report import make_slice
from switchboard.feedback.domain.rollups import Period
from switchboard.feedback.domain.surveys import SurveyAlreadyAnswered
from switchboard.feedback.settings import FeedbackSettings
from switchboard.feedback.surveying import answer_survey, send_due_survey
from switchboard.servicekit.db import create_engine, session_factory
from switchboard.servicekit.tables import outbox
from switchboard.servicekit.timers import TimerPoller

from .builders import agent_replied, case_opened, case_resolved, new_id
from .conftest import instant

pytestmark = [pytest.mark.integration, pytest.mark.timeout(60)]


async def test_resolution_survey_answer_and_kpis_on_sqlite(tmp_path):
    settings = FeedbackSettings.load(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'feedback.db'}", survey_delay_seconds=60
    )
    await run_migrations(settings)
    engine = create_engine(settings.database_url)
    sessions = session_factory(engine)
    case_id, customer_id, opened_at, resolved_at = (
        new_id("case"),
        new_id("cust"),
        instant(600),
        instant(),
    )

    async def handle(handler, event):
        async with sessions() as session, session.begin():
            await handler(session, Envelope(event, "/tests"), settings=settings)

    await handle(
        handlers.record_case_opened,
        case_opened(case_id=case_id, customer_id=customer_id, at=opened_at, language="fi"),
    )
    await handle(handlers.record_agent_replied, agent_replied(case_id=case_id, at=instant(300)))
    await handle(
        handlers.record_case_resolved,
        case_resolved(
            case_id=case_id,
            customer_id=customer_id,
            opened_at=opened_at,
            at=resolved_at,
            language="fi",
        ),
    )

    def clock_at(delay: float):
        return lambda: resolved_at + timedelta(seconds=delay)

    early = TimerPoller(
        sessions=sessions,
        handlers={
            handlers.SURVEY_DUE: partial(send_due_survey, settings=settings, clock=clock_at(59))
        },
        clock=clock_at(59),
    )
    due = TimerPoller(
        sessions=sessions,
        handlers={
            handlers.SURVEY_DUE: partial(send_due_survey, settings=settings, clock=clock_at(61))
        },
        clock=clock_at(61),
    )
    assert await early.fire_due() == 0
    assert await due.fire_due() == 1
    assert await due.fire_due() == 0

    async with sessions() as session:
        rows = (await session.execute(select(outbox.c.event_type, outbox.c.payload))).all()
    assert [r.event_type for r in rows] == ["switchboard.survey.requested"]
    survey_id = json.loads(rows[0].payload)["survey_id"]
    assert json.loads(rows[0].payload)["language"] == "fi"

    async with sessions() as session, session.begin():
        await answer_survey(
            session=session,
            survey_id=survey_id,
            answer=Answer(csat=1, nps=0),
            settings=settings,
            now=resolved_at + timedelta(minutes=5),
        )
    with pytest.raises(SurveyAlreadyAnswered):
        async with sessions() as session, session.begin():
            await answer_survey(
                session=session,
                survey_id=survey_id,
                answer=Answer(csat=5),
                settings=settings,
                now=resolved_at + timedelta(minutes=6),
            )

    async with sessions() as session:
        types = (
            (await session.execute(select(outbox.c.event_type).order_by(outbox.c.id)))
            .scalars()
            .all()
        )
        query = make_slice(
            region="nordics",
            agent_id="agent-1",
            team=None,
            channel=None,
            period=Period.DAY,
            first=resolved_at.date() - timedelta(days=1),
            last=resolved_at.date() + timedelta(days=1),
            max_buckets=10,
        )
        series, _ = await read_slice(session, query=query)
    assert types == [
        "switchboard.survey.requested",
        "switchboard.survey.answered",
        "switchboard.detractor.alerted",
    ]
    total = sum_counters(list(series.values()))
    assert (
        total.surveys_answered,
        total.csat_answers,
        total.csat_satisfied,
        total.nps_detractors,
    ) == (1, 1, 0, 1)
    assert total.first_responses == 1
    assert total.first_response_ms_sum == pytest.approx(300_000, abs=1000)
    await engine.dispose()
