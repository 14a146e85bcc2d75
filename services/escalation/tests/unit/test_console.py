"""The coordinator console as escalation serves it: the page, its assets and configuration,
with a Content-Security-Policy that lets the browser reach only us, routing and feedback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from importlib import resources

import httpx
import pytest
from pydantic import ValidationError

from switchboard.escalation.bootstrap import DEFINITION
from switchboard.escalation.entrypoints.app import HTTP_API
from switchboard.escalation.settings import EscalationSettings
from switchboard.servicekit.http.static_pages import PAGE_KIT
from switchboard.servicekit.service import assemble, service_app

from ..conftest import NO_BROKER

pytestmark = pytest.mark.timeout(30)
ROUTING = "http://127.0.0.1:9102"
FEEDBACK = "http://localhost:9104/"
INTAKE = "http://127.0.0.1:9101"
CONSOLE = resources.files("switchboard.escalation.entrypoints") / "console"
MODULES = sorted(f.name for f in CONSOLE.iterdir() if f.name.endswith(".js"))
KIT_MODULES = sorted(f.name for f in PAGE_KIT.iterdir() if f.name.endswith(".js"))
IMPORT = re.compile(r"^\s*(?:import|export)\b[^;]*?\bfrom\s*[\"']([^\"']+)[\"']", re.MULTILINE)


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    settings = EscalationSettings.load(
        database_url="sqlite+aiosqlite:///:memory:",
        kafka_bootstrap_servers=NO_BROKER,
        console_routing_url=ROUTING,
        console_feedback_url=FEEDBACK,
        console_intake_url=INTAKE,
    )
    service = assemble(DEFINITION, settings)
    transport = httpx.ASGITransport(app=service_app(service, HTTP_API))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://escalation") as c:
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
    response = await client.get("/console")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    connect = ["'self'", ROUTING, "http://localhost:9104", INTAKE]
    assert directives(response)["connect-src"] == connect


async def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_code(client):
    page = References()
    page.feed((await client.get("/console")).text)
    assert page.inline_scripts == 0
    assert page.module_scripts == ["/console/console.js"]
    assert set(page.urls) == {
        "data:,",
        "/console/base.css",
        "/console/console.css",
        "/console/console.js",
    }
    for url in page.urls:
        if url != "data:,":
            assert (await client.get(url)).status_code == 200, url


def test_the_console_has_modules_besides_its_entry():
    assert "console.js" in MODULES
    assert len(MODULES) > 1


@pytest.mark.parametrize(
    ("name", "content_type"),
    [
        *[(name, "text/javascript; charset=utf-8") for name in MODULES],
        ("console.css", "text/css; charset=utf-8"),
    ],
)
async def test_assets_have_their_content_types(client, name, content_type):
    response = await client.get(f"/console/{name}")
    assert response.status_code == 200
    assert response.headers["content-type"] == content_type
    assert response.headers["x-content-type-options"] == "nosniff"
    text = response.text
    for markup_sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert markup_sink not in text
    urls = set(re.findall(r"[a-z]+://[^\s\"'`)]+", text))
    assert urls <= {"http://www.w3.org/2000/svg"}, urls  # a namespace, never fetched


async def test_the_entry_module_reaches_every_module_by_relative_url(client):
    reached, pending = set(), ["console.js"]
    while pending:
        name = pending.pop()
        reached.add(name)
        response = await client.get(f"/console/{name}")
        assert response.status_code == 200, name
        for specifier in IMPORT.findall(response.text):
            assert re.fullmatch(r"\./[a-z]+\.js", specifier), (name, specifier)
            if specifier[2:] not in reached:
                pending.append(specifier[2:])
    assert reached == set(MODULES) | set(KIT_MODULES)


async def test_config_gives_the_browser_routing_feedback_and_intake(client):
    response = await client.get("/console/config.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {
        "routing_url": ROUTING,
        "feedback_url": "http://localhost:9104",
        "intake_url": INTAKE,
    }


async def test_the_stream_still_needs_a_token(client):
    response = await client.get("/v1/escalations/stream")
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(
    "url",
    [
        "ftp://127.0.0.1:8002",
        "127.0.0.1:8002",
        "http://",
        "http://127.0.0.1:port",
        "http://127.0.0.1:8002/?x=1",
        "http://user:pw@127.0.0.1:8002",
    ],
)
def test_console_urls_must_be_plain_http_base_urls(url):
    with pytest.raises(ValidationError):
        EscalationSettings.load(console_routing_url=url)


def test_console_urls_come_from_the_environment(monkeypatch):
    monkeypatch.setenv("SWITCHBOARD_ESCALATION_CONSOLE_ROUTING_URL", "http://127.0.0.1:7002/")
    monkeypatch.setenv("SWITCHBOARD_ESCALATION_CONSOLE_FEEDBACK_URL", "https://127.0.0.1:7004")
    monkeypatch.setenv("SWITCHBOARD_ESCALATION_CONSOLE_INTAKE_URL", "http://127.0.0.1:7001/")
    settings = EscalationSettings.load()
    assert settings.console_intake_url == "http://127.0.0.1:7001"
    assert settings.console_routing_url == "http://127.0.0.1:7002"
    assert settings.console_feedback_url == "https://127.0.0.1:7004"
