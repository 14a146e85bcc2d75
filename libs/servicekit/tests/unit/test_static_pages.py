"""A static page as servicekit serves it: the page, its own assets and the page kit's beside
them, config.json from the settings, and one strict Content-Security-Policy on every answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from switchboard.servicekit.http import create_app
from switchboard.servicekit.http.static_pages import PAGE_KIT, static_page_router

INTAKE = "http://127.0.0.1:9101/"
FEEDBACK = "http://localhost:9104/v1"
PAGE = b'<!doctype html><html><head><script type="module" src="/demo/demo.js"></script></head>'
KIT = sorted(f.name for f in PAGE_KIT.iterdir() if f.name.endswith((".js", ".css")))
KIT_MODULES = [name for name in KIT if name.endswith(".js")]
IMPORT = re.compile(r"^\s*(?:import|export)\b[^;]*?\bfrom\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@dataclass
class DemoSettings:
    intake_url: str
    feedback_url: str


async def demo_settings() -> DemoSettings:
    return DemoSettings(intake_url=INTAKE, feedback_url=FEEDBACK)


def page_folder(tmp_path: Path, *names: str) -> Path:
    (tmp_path / "index.html").write_bytes(PAGE)
    for name in names:
        (tmp_path / name).write_text(f"/* {name} */\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("not served", encoding="utf-8")
    return tmp_path


@pytest.fixture
async def client(tmp_path):
    router = static_page_router(
        "demo",
        page_folder(tmp_path, "demo.js", "demo.css"),
        settings=demo_settings,
        config=lambda s: {"intake_url": s.intake_url},
        connect_to=lambda s: [s.intake_url, s.feedback_url, "http://127.0.0.1:9101"],
    )
    app = create_app(title="t", version="1", runtime=None, routers=[router])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as c:
        yield c


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {name: values for name, *values in parts}


def assert_secured(response: httpx.Response) -> None:
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cross-origin-opener-policy"] == "same-origin"
    policy = directives(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no 'unsafe-inline': no inline script runs
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]
    # origins only, each once, in the order given
    assert policy["connect-src"] == ["'self'", "http://127.0.0.1:9101", "http://localhost:9104"]
    assert policy["form-action"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]


async def test_the_page_is_served_as_is_with_the_security_headers(client):
    response = await client.get("/demo")
    assert response.status_code == 200
    assert response.content == PAGE
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "no-store"
    assert_secured(response)


async def test_config_comes_from_the_settings(client):
    response = await client.get("/demo/config.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"intake_url": INTAKE}
    assert_secured(response)


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        ("demo.js", "text/javascript; charset=utf-8"),
        ("demo.css", "text/css; charset=utf-8"),
        *[
            (name, f"text/{'css' if name.endswith('.css') else 'javascript'}; charset=utf-8")
            for name in KIT
        ],
    ],
)
async def test_the_page_s_assets_and_the_kit_s_are_served_side_by_side(client, name, content_type):
    response = await client.get(f"/demo/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["cache-control"] == "no-cache"
    assert_secured(response)


@pytest.mark.parametrize(
    "path", ["/demo/nope.js", "/demo/index.html", "/demo/notes.txt", "/demo/..%2Fstatic_pages.py"]
)
async def test_unknown_files_are_a_404_problem(client, path):
    response = await client.get(path)
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_an_unknown_asset_is_named_in_the_problem(client):
    response = await client.get("/demo/nope.js")
    assert response.json()["detail"] == "the demo has no file 'nope.js'"


async def test_the_page_is_not_part_of_the_api_document(client):
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [path for path in paths if path.startswith("/demo")]


def test_a_page_file_may_not_hide_a_kit_file(tmp_path):
    with pytest.raises(ValueError, match=r"dom\.js"):
        static_page_router(
            "demo",
            page_folder(tmp_path, "dom.js"),
            settings=demo_settings,
            config=lambda s: {},
            connect_to=lambda s: [],
        )


def test_the_kit_has_the_shared_modules_and_base_styles():
    assert {"dom.js", "format.js", "http.js", "token.js", "base.css"} <= set(KIT)


@pytest.mark.parametrize("name", KIT_MODULES)
def test_kit_modules_build_no_markup_fetch_nothing_elsewhere_and_import_only_the_kit(name):
    text = (PAGE_KIT / name).read_text(encoding="utf-8")
    for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert markup_sink not in text
    urls = set(re.findall(r"[a-z]+://[^\s\"'`)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # a namespace, never fetched
    for specifier in IMPORT.findall(text):
        assert re.fullmatch(r"\./[a-z]+\.js", specifier), specifier
        assert specifier[2:] in KIT_MODULES, specifier
