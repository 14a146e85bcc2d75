"""A real browser for the console tests: Debian's chromium, headless, driven by Playwright
(never a downloaded browser), and a console page opened with a token and watched."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, async_playwright, expect

REPO = Path(__file__).resolve().parents[2]
LIVE_TIMEOUT_MS = 20_000


def chromium_path() -> str:
    path = os.environ.get("SWITCHBOARD_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).is_file():
        pytest.fail(
            f"no chromium at {path}: install Debian's chromium (apt-get install -y chromium) "
            "or point SWITCHBOARD_CHROMIUM at a chromium binary; browsers are never downloaded"
        )
    return path


def screenshot_dir() -> Path:
    default = REPO / ".artifacts" / "screenshots"
    folder = Path(os.environ.get("SWITCHBOARD_E2E_SCREENSHOT_DIR") or default)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    executable = chromium_path()
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=executable, headless=True)
        try:
            yield launched
        finally:
            await launched.close()


class Watched:
    """A page and what it did: requests, responses, main-frame navigations, script errors."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.responses: list[tuple[str, int]] = []
        self.navigations = 0
        self.errors: list[str] = []
        page.on("request", lambda r: self.requests.append(r.url))
        page.on("response", lambda r: self.responses.append((r.url, r.status)))
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        page.on("framenavigated", self._navigated)

    def _navigated(self, frame: object) -> None:
        if frame is self.page.main_frame:
            self.navigations += 1

    def listings(self) -> int:
        return sum("/v1/escalations?" in url for url in self.requests)

    def answered(self, base: str, path: str) -> list[int]:
        return [status for url, status in self.responses if url.startswith(base + path)]


async def open_console(browser: Browser, base: str, bearer: str, **context: object) -> Watched:
    page = await (await browser.new_context(**context)).new_page()  # type: ignore[arg-type]
    watched = Watched(page)
    await page.goto(f"{base}/console#token={bearer}")
    await expect(page.locator("#stream-state")).to_have_attribute(
        "data-state", "live", timeout=LIVE_TIMEOUT_MS
    )
    await expect(page.locator("#escalation-list")).to_have_attribute("data-loaded", "true")
    assert "token" not in page.url, "the token must leave the address bar"
    return watched


async def open_workspace(browser: Browser, base: str, bearer: str, **context: object) -> Watched:
    """Routing's agent workspace, signed in through the link's #token fragment."""
    page = await (await browser.new_context(**context)).new_page()  # type: ignore[arg-type]
    watched = Watched(page)
    await page.goto(f"{base}/workspace#token={bearer}")
    await expect(page.locator("#work")).to_have_attribute(
        "data-loaded", "true", timeout=LIVE_TIMEOUT_MS
    )
    assert "token" not in page.url, "the token must leave the address bar"
    return watched
