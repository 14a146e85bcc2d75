"""One static browser page under ``/<name>``: its ``index.html``, its scripts and style sheets
(the page's own folder plus the shared ``page_kit/`` beside this module, served side by side so
the page imports either by relative URL), and ``config.json`` built from the settings. The page
holds no data; every data call it makes carries its user's token.

Every answer carries the same security headers: only our own scripts and styles, no inline
code, and data only from here and the origins the service names."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Response
from fastapi.responses import JSONResponse

from switchboard.servicekit.http.problems import Problem

__all__ = ["MEDIA_TYPES", "PAGE_KIT", "origin", "security_headers", "static_page_router"]

# Every script and style sheet of the folders is served by name; index.html is the page itself.
MEDIA_TYPES = {"js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8"}
PAGE_KIT = resources.files("switchboard.servicekit.http") / "page_kit"

SettingsT = TypeVar("SettingsT")


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(connect_to: Iterable[str]) -> dict[str, str]:
    """Only our own scripts and styles; data only from here and the origins of ``connect_to``."""
    connect = " ".join(dict.fromkeys(["'self'", *(origin(url) for url in connect_to)]))
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


def read_assets(*folders: Traversable) -> dict[str, tuple[bytes, str]]:
    """Name → (content, media type) of the scripts and style sheets of ``folders``; a name in
    two of them is an error (the page's own file would hide the kit's, or the reverse)."""
    assets: dict[str, tuple[bytes, str]] = {}
    for folder in folders:
        for entry in folder.iterdir():
            media_type = MEDIA_TYPES.get(entry.name.rpartition(".")[2])
            if media_type is None or not entry.is_file():
                continue
            if entry.name in assets:
                raise ValueError(f"{entry.name!r} is both a page file and a page-kit file")
            assets[entry.name] = (entry.read_bytes(), media_type)
    return assets


def static_page_router(
    name: str,
    folder: Traversable,
    *,
    settings: Callable[..., Awaitable[SettingsT]],
    config: Callable[[SettingsT], Mapping[str, Any]],
    connect_to: Callable[[SettingsT], Iterable[str]],
) -> APIRouter:
    """``/<name>`` (the page), ``/<name>/config.json`` and ``/<name>/<asset>``, none of them in
    the API document. ``settings`` is the FastAPI dependency giving the service's settings;
    ``config`` and ``connect_to`` read the page's configuration and the base URLs its browser
    calls from them."""
    page = (folder / "index.html").read_bytes()
    assets = read_assets(folder, PAGE_KIT)
    router = APIRouter(prefix=f"/{name}", tags=[name], include_in_schema=False)

    def headers(current: SettingsT, cache_control: str) -> dict[str, str]:
        return {**security_headers(connect_to(current)), "cache-control": cache_control}

    @router.get("")
    async def static_page(current: SettingsT = Depends(settings)) -> Response:
        return Response(
            page, media_type="text/html; charset=utf-8", headers=headers(current, "no-store")
        )

    @router.get("/config.json")
    async def static_page_config(current: SettingsT = Depends(settings)) -> JSONResponse:
        return JSONResponse(dict(config(current)), headers=headers(current, "no-store"))

    @router.get("/{asset}")
    async def static_page_asset(asset: str, current: SettingsT = Depends(settings)) -> Response:
        if asset not in assets:
            raise Problem(404, f"the {name} has no file {asset!r}")
        content, media_type = assets[asset]
        return Response(content, media_type=media_type, headers=headers(current, "no-cache"))

    return router
