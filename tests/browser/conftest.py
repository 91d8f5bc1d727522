"""Debian's chromium driven by Playwright against a real collector; a browser is never downloaded."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from admin_support import post, report
from aiohttp.test_utils import TestClient
from browser_support import ARGS, CHROMIUM, Watched
from playwright.async_api import Browser, async_playwright
from support import drain, make_batch


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"{CHROMIUM} is missing: install Debian's chromium (apt-get install chromium)")
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


@pytest.fixture
async def watched(browser: Browser) -> AsyncIterator[Watched]:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, accept_downloads=True)
    yield Watched(await context.new_page())
    await context.close()


def _ts(days_ago: int, minutes: int = 0) -> str:
    return (datetime.now(UTC) - timedelta(days=days_ago, minutes=30 + minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
async def seeded(admin: TestClient) -> dict[str, Any]:
    """A week of usage by 8 installs, one rare event, and crash groups above and below K = 5 installs."""
    installs = [str(uuid.uuid4()) for _ in range(8)]
    for n, install in enumerate(installs):
        batch = make_batch(12, install_id=install)
        for i, event in enumerate(batch["events"]):
            event["ts"] = _ts(days_ago=i % (3 + n % 5), minutes=n)  # some installs only recently: DAU varies
            event["name"] = ("app.started", "editor.opened", "editor.opened", "file.saved")[i % 4]
        assert (await admin.post("/v1/events", json=batch)).status == 202
    rare = make_batch(1)
    rare["events"][0]["name"] = "beta.secret_feature"
    assert (await admin.post("/v1/events", json=rare)).status == 202
    common = ""
    for n, install in enumerate(installs[:6]):
        common = await post(admin, report(install=install, minutes_ago=60 * 24 * (n % 5) + 5))
    rare_body = report(function="export_pdf", version="1.5.0")
    rare_body["exception"] = {"type": "PermissionError", "message": "cannot write /home/alice/out.pdf: denied"}
    rare_group = await post(admin, rare_body)
    await post(admin, rare_body | {"crash_id": str(uuid.uuid4())})
    await drain(admin)
    return {"common": common, "rare": rare_group, "rare_crash": rare_body["crash_id"]}
