"""The coordinator console: one static page (HTML, JS, CSS) and the base URLs its browser
calls. The page itself holds no data; every data call carries the coordinator's token."""

from __future__ import annotations

from importlib import resources
from urllib.parse import urlsplit

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse

from switchboard.servicekit.http.problems import Problem

# Every script and style sheet of the console folder is served (console.js is the page's
# entry module and imports the others by relative URL); index.html is the page itself.
MEDIA_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(*, connect_to: list[str]) -> dict[str, str]:
    """Only our own scripts and styles; data only from here and the given origins."""
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


def console_router(*, routing_url: str, feedback_url: str) -> APIRouter:
    """``GET /console`` (the page), its assets and ``/console/config.json``."""
    router = APIRouter(prefix="/console", tags=["console"], include_in_schema=False)
    folder = resources.files("switchboard.escalation") / "console"
    page = (folder / "index.html").read_bytes()
    assets = {
        entry.name: (entry.read_bytes(), MEDIA_TYPES[suffix])
        for entry in folder.iterdir()
        if (suffix := "." + entry.name.rpartition(".")[2]) in MEDIA_TYPES
    }
    headers = security_headers(connect_to=[origin(routing_url), origin(feedback_url)])
    config = {"routing_url": routing_url, "feedback_url": feedback_url}

    @router.get("")
    async def console_page() -> Response:
        return Response(
            page,
            media_type="text/html; charset=utf-8",
            headers={**headers, "cache-control": "no-store"},
        )

    @router.get("/config.json")
    async def console_config() -> JSONResponse:
        return JSONResponse(config, headers={**headers, "cache-control": "no-store"})

    @router.get("/{name}")
    async def console_asset(name: str) -> Response:
        if name not in assets:
            raise Problem(404, f"the console has no file {name!r}")
        content, media_type = assets[name]
        return Response(
            content, media_type=media_type, headers={**headers, "cache-control": "no-cache"}
        )

    return router
