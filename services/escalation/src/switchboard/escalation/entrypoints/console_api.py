"""The coordinator console: one static page (HTML, JS, CSS in ``console/`` beside this
module, served with servicekit's page kit) and the base URLs its browser calls. The page
itself holds no data; every data call carries the coordinator's token."""

from __future__ import annotations

from importlib import resources

from switchboard.escalation.entrypoints.dependencies import escalation_settings
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.http.static_pages import static_page_router


def config(settings: EscalationSettings) -> dict[str, str]:
    return {
        "routing_url": settings.console_routing_url,
        "feedback_url": settings.console_feedback_url,
        "intake_url": settings.console_intake_url,
    }


def connect_to(settings: EscalationSettings) -> list[str]:
    """Data only from here, routing, feedback and intake."""
    return [
        settings.console_routing_url,
        settings.console_feedback_url,
        settings.console_intake_url,
    ]


router = static_page_router(
    "console",
    resources.files("switchboard.escalation.entrypoints") / "console",
    settings=escalation_settings,
    config=config,
    connect_to=connect_to,
)
