"""A customer erased in feedback, in-process on SQLite: their comments and thread references
go from every table (those of a customer merged into theirs too), an open survey expires,
the other customer's stay, every KPI count stays as it was, ``CustomerErasedByFeedback``
confirms; the export holds what feedback had."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest

from switchboard.contracts.events import (
    CustomerErasedByFeedback,
    CustomerErasureRequested,
    SurveyRequested,
)
from switchboard.contracts.events.common import Actor, ActorKind
from switchboard.feedback.domain.answers import Answer
from switchboard.feedback.domain.surveys import SurveyExpired
from switchboard.feedback.service_layer.customer_erasure import export_customer

from .conftest import SURVEY_DELAY, resolve, totals
from .test_surveys_in_process import answer


def every_value(database) -> str:
    with sqlite3.connect(database) as db:
        names = [r[0] for r in db.execute("select name from sqlite_master where type='table'")]
        return "\n".join(
            repr(row) for name in names for row in db.execute(f'select * from "{name}"')
        )


async def test_an_erased_customer_s_comments_go_and_the_kpis_stay(feedback, clock, tmp_path):
    erased_case, erased = await resolve(feedback, clock, language="fi")
    kept_case, kept = await resolve(feedback, clock, language="fi")
    open_case, merged = await resolve(feedback, clock, language="fi")  # merged into ``erased``
    await feedback.fire_timers(now=clock.turn(SURVEY_DELAY + timedelta(seconds=1)))
    surveys = {r.case_id: r for r in await feedback.published(SurveyRequested)}
    clock.turn(timedelta(minutes=5))
    await answer(feedback, surveys[erased_case].survey_id, Answer(csat=1, comment="Aivan surkeaa"))
    await answer(feedback, surveys[kept_case].survey_id, Answer(csat=5, comment="Kiitos paljon"))
    before = await totals(feedback)
    database = tmp_path / "feedback.db"
    stored = every_value(database)
    for known in ("Aivan surkeaa", f"<{erased_case}@mail.example>", "Kiitos paljon"):
        assert known in stored, known
    async with feedback.service.sessions() as session:
        exported = await export_customer(session, erased)
    assert "Aivan surkeaa" in str(exported["tables"]["answers"])
    assert {c["case_id"] for c in exported["tables"]["cases"]} == {erased_case}

    await feedback.published()  # relayed, as the relay does within milliseconds (no keys here)
    await feedback.deliver(
        CustomerErasureRequested(
            erasure_id="erasure-1",
            customer_id=erased,
            requested_at=datetime.now(UTC),
            by=Actor(kind=ActorKind.SYSTEM, id="admin:ops"),
            case_ids=(erased_case,),
            merged_ids=(merged,),
        )
    )

    [confirmed] = await feedback.published(CustomerErasedByFeedback)
    assert (confirmed.erasure_id, confirmed.service, confirmed.customer_id) == (
        "erasure-1",
        "feedback",
        erased,
    )
    assert confirmed.rows >= 5
    stored = every_value(database)
    for gone in ("Aivan surkeaa", f"<{erased_case}@mail.example>", f"<{open_case}@mail.example>"):
        assert gone not in stored, gone
    assert erased not in stored, "no row names the customer any more"
    assert merged not in stored, "nor the customer merged into it"
    assert "Kiitos paljon" in stored
    assert kept in stored, "the other customer's rows are untouched"
    assert f"<{kept_case}@mail.example>" in stored
    assert await totals(feedback) == before, "every count stays"
    with pytest.raises(SurveyExpired):
        await answer(feedback, surveys[open_case].survey_id, Answer(csat=3, comment="Ok"))
    async with feedback.service.sessions() as session:
        after = await export_customer(session, erased)
    assert after["tables"] == {k: [] for k in after["tables"]}
