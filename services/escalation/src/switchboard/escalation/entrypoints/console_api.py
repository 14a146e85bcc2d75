"""The coordinator console: one static page (HTML, JS, CSS in ``console/`` beside this
module) and the base URLs its browser calls. The page itself holds no data; every data call
carries the coordinator's token."""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from switchboard.escalation.entrypoints.dependencies import SettingsDep
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.http.problems import Problem

# Every script and style sheet of the console folder is served (console.js is the page's
# entry module and imports the others by relative URL); index.html is the page itself.
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}
FOLDER = resources.files("switchboard.escalation.entrypoints") / "console"
PAGE = (FOLDER / "index.html").read_bytes()
ASSETS = {
    entry.name: (entry.read_bytes(), MEDIA_TYPES[suffix])
    for entry in FOLDER.iterdir()
    if (suffix := "." + entry.name.rpartition(".")[2]) in MEDIA_TYPES
}

router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(settings: EscalationSettings) -> dict[str, str]:
    """Only our own scripts and styles; data only from here, routing, feedback and intake."""
    connect_to = [
        origin(settings.console_routing_url),
        origin(settings.console_feedback_url),
        origin(settings.console_intake_url),
    ]
    connect = " ".join(["'self'", *dict.fromkeys(connect_to)])
    policy = (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"connect-src {connect}; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
    )
    return {
        "content-security-policy": policy,
        "x-content-type-options": "nosniff",
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
        "cross-origin-opener-policy": "same-origin",
    }


@router.get("")
async def console_page(settings: SettingsDep) -> Response:
    return Response(
        PAGE,
        media_type="text/html; charset=utf-8",
        headers={**security_headers(settings), "cache-control": "no-store"},
    )


@router.get("/config.json")
async def console_config(settings: SettingsDep) -> JSONResponse:
    config = {
        "routing_url": settings.console_routing_url,
        "feedback_url": settings.console_feedback_url,
        "intake_url": settings.console_intake_url,
    }
    return JSONResponse(config, headers={**security_headers(settings), "cache-control": "no-store"})


@router.get("/{name}")
async def console_asset(name: str, settings: SettingsDep) -> Response:
    if name not in ASSETS:
        raise Problem(404, f"the console has no file {name!r}")
    content, media_type = ASSETS[name]
    return Response(
        content,
        media_type=media_type,
        headers={**security_headers(settings), "cache-control": "no-cache"},
    )
