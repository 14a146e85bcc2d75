"""The agent workspace as routing serves it: the page, its assets and configuration, with a
Content-Security-Policy that lets the browser reach only routing and intake."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from importlib import resources

import httpx
import pytest
from pydantic import ValidationError

from switchboard.routing.bootstrap import DEFINITION
from switchboard.routing.entrypoints.app import HTTP_API
from switchboard.routing.settings import RoutingSettings
from switchboard.servicekit.http.static_pages import PAGE_KIT
from switchboard.servicekit.service import assemble, service_app

pytestmark = pytest.mark.timeout(30)
NO_BROKER = "127.0.0.1:9"
INTAKE = "http://localhost:9101/"
WORKSPACE = resources.files("switchboard.routing.entrypoints") / "workspace"
MODULES = sorted(f.name for f in WORKSPACE.iterdir() if f.name.endswith(".js"))
KIT_MODULES = sorted(f.name for f in PAGE_KIT.iterdir() if f.name.endswith(".js"))
IMPORT = re.compile(r"^\s*(?:import|export)\b[^;]*?\bfrom\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = RoutingSettings.load(
        database_url="sqlite+aiosqlite:///:memory:",
        kafka_bootstrap_servers=NO_BROKER,
        workspace_intake_url=INTAKE,
    )
    service = assemble(DEFINITION, settings)
    transport = httpx.ASGITransport(app=service_app(service, HTTP_API))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://routing") as c:
            yield c
    finally:
        await service.runtime.stop()  # never started: closes the engine and clients


def directives(response: httpx.Response) -> dict[str, list[str]]:
    policy = response.headers["content-security-policy"]
    parts = [part.split() for part in policy.split(";") if part.strip()]
    return {name: values for name, *values in parts}


class References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.module_scripts: list[str] = []
        self.inline_scripts = 0
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.urls += [v for k, v in found.items() if k in ("src", "href") and v]
        self._in_script = tag == "script"
        if tag == "script" and found.get("type") == "module":
            self.module_scripts.append(found.get("src") or "")
        assert "style" not in found, f"inline style on <{tag}> (the CSP forbids it)"
        assert not any(k.startswith("on") for k in found), f"inline handler on <{tag}>"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_scripts += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


async def test_the_page_lets_the_browser_connect_only_to_what_it_calls(client):
    # The other security headers are servicekit's (its test_static_pages.py).
    response = await client.get("/workspace")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert directives(response)["connect-src"] == ["'self'", "http://localhost:9101"]


async def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_code(client):
    page = References()
    page.feed((await client.get("/workspace")).text)
    assert page.inline_scripts == 0
    assert page.module_scripts == ["/workspace/workspace.js"]
    assert set(page.urls) == {
        "data:,",
        "/workspace/base.css",
        "/workspace/workspace.css",
        "/workspace/workspace.js",
    }
    for url in page.urls:
        if url != "data:,":
            assert (await client.get(url)).status_code == 200, url


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        *[(name, "text/javascript; charset=utf-8") for name in MODULES],
        ("workspace.css", "text/css; charset=utf-8"),
        ("mail.css", "text/css; charset=utf-8"),
    ],
)
async def test_assets_have_their_content_types_and_no_markup_sinks(client, name, content_type):
    response = await client.get(f"/workspace/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" in response.headers
    text = response.text
    for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert markup_sink not in text
    urls = set(re.findall(r"[a-z]+://[^\s\"'`)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # a namespace, never fetched


async def test_an_emails_html_is_framed_without_scripts_and_without_remote_loads(client):
    """srcdoc is the page's only markup sink: a frame sandboxed without scripts, forms or
    popups, under its own policy on top of the page's (images only as data: URLs)."""
    text = (await client.get("/workspace/mail.js")).text
    assert re.findall(r'sandbox: "([^"]*)"', text) == ["allow-same-origin"]
    assert "FRAME_POLICY = \"default-src 'none'; style-src 'self'; img-src data:\"" in text
    page = (await client.get("/workspace")).headers["content-security-policy"]
    assert "default-src 'none'" in page
    assert "frame-src" not in page


async def test_the_entry_module_reaches_every_module_by_relative_url(client):
    reached, pending = set(), ["workspace.js"]
    while pending:
        name = pending.pop()
        reached.add(name)
        response = await client.get(f"/workspace/{name}")
        assert response.status_code == 200, name
        for specifier in IMPORT.findall(response.text):
            assert re.fullmatch(r"\./[a-z]+\.js", specifier), (name, specifier)
            if specifier[2:] not in reached:
                pending.append(specifier[2:])
    assert reached == set(MODULES) | set(KIT_MODULES)


async def test_config_gives_the_browser_intake(client):
    response = await client.get("/workspace/config.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {"intake_url": "http://localhost:9101"}


async def test_the_api_it_calls_still_needs_a_token(client):
    response = await client.get("/v1/agents/a1/work")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:8001",
        "127.0.0.1:8001",
        "http://",
        "http://127.0.0.1:port",
        "http://127.0.0.1:8001/?x=1",
        "http://user:pw@127.0.0.1:8001",
    ],
)
def test_the_intake_url_must_be_a_plain_http_base_url(url):
    with pytest.raises(ValidationError):
        RoutingSettings.load(workspace_intake_url=url)


def test_the_intake_url_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_ROUTING_WORKSPACE_INTAKE_URL", "https://127.0.0.1:7001/")
    assert RoutingSettings.load().workspace_intake_url == "https://127.0.0.1:7001"
