"""Routing's HTTP side and the app uvicorn serves."""

from __future__ import annotations

from fastapi import FastAPI

from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.entrypoints import (
    agents_api,
    cases_api,
    overview_api,
    personal_data_api,
    policies_api,
    what_if_api,
    workspace_api,
)
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.service import HttpApi, app_from_environment

HTTP_API: HttpApi[RoutingSettings] = HttpApi(
    title="Switchboard routing",
    description="Gets every case to the best available agent, and explains why.",
    routers=(
        agents_api.router,
        cases_api.router,
        policies_api.router,
        overview_api.router,
        what_if_api.router,
        workspace_api.router,
        personal_data_api.router,
    ),
)


def create_app() -> FastAPI:
    return app_from_environment(DEFINITION, HTTP_API)
