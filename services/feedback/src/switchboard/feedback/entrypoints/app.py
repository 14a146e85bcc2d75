"""Feedback's HTTP side: the public survey link (no login, rate limited per client) and the
KPI reads (bearer JWT)."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.feedback.bootstrap import DEFINITION
from switchboard.feedback.entrypoints import kpis_api, personal_data_api, surveys_api
from switchboard.feedback.settings import FeedbackSettings
from switchboard.servicekit.http import RateLimitRule, path_prefix
from switchboard.servicekit.service import HttpApi, app_from_environment


def survey_link_limits(settings: FeedbackSettings) -> list[RateLimitRule]:
    """Guessing survey links from one address is slowed down; KPI reads are not limited."""
    if not settings.survey_rate_limit:
        return []
    return [RateLimitRule(settings.survey_rate_limit, key=path_prefix("/surveys/"))]


HTTP_API: HttpApi[FeedbackSettings] = HttpApi(
    title="Switchboard feedback",
    description="Post-resolution surveys, detractor alerts and KPIs.",
    routers=(surveys_api.router, kpis_api.router, personal_data_api.router),
    rate_limits=survey_link_limits,
)


def create_app() -> FastAPI:
    return app_from_environment(DEFINITION, HTTP_API)
