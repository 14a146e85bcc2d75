"""Escalation's HTTP side, and the app uvicorn builds in each worker process."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.entrypoints import (
    at_risk_api,
    cases_api,
    configuration_api,
    console_api,
    escalations_api,
    personal_data_api,
    problems_api,
    staffing_alerts_api,
    webhook_deliveries_api,
)
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.service import HttpApi, app_from_environment

HTTP_API: HttpApi[EscalationSettings] = HttpApi(
    title="Switchboard escalation",
    description="SLA clocks, escalations and coordinators.",
    routers=(
        escalations_api.router,
        cases_api.router,
        configuration_api.router,
        webhook_deliveries_api.router,
        console_api.router,
        staffing_alerts_api.router,
        at_risk_api.router,
        personal_data_api.router,
        problems_api.router,
    ),
)


def create_app() -> FastAPI:
    return app_from_environment(DEFINITION, HTTP_API)
