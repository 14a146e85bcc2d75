"""The agent workspace: one static page (HTML, JS, CSS in ``workspace/`` beside this module,
served with servicekit's page kit) and the base URL its browser calls intake at. The page
itself holds no data; every data call carries the agent's token."""

from __future__ import annotations

from importlib import resources

from switchboard.routing.entrypoints.dependencies import routing_settings
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.http.static_pages import static_page_router


def config(settings: RoutingSettings) -> dict[str, str]:
    return {"intake_url": settings.workspace_intake_url}


def connect_to(settings: RoutingSettings) -> list[str]:
    """Data only from here and intake."""
    return [settings.workspace_intake_url]


router = static_page_router(
    "workspace",
    resources.files("switchboard.routing.entrypoints") / "workspace",
    settings=routing_settings,
    config=config,
    connect_to=connect_to,
)
