"""Playwright helpers for the browser tests: where chromium is, how it starts, a page that records errors."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page

CHROMIUM = "/usr/bin/chromium"
# The network here is closed: no component updates, sync, QUIC probes or first-run pings to wait on or fail.
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).parents[1] / "test-artifacts"


class Watched:
    """A laptop-sized page recording every console error and uncaught exception."""

    def __init__(self, page: Page) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("console", lambda message: self.errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(f"uncaught: {error}"))

    async def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        await self.page.screenshot(path=path, full_page=True)
        return path
