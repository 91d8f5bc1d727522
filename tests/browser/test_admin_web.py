"""The /admin/ page in a real browser: sign-in, groups, a group, the minidump download, the dashboard charts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from admin_support import DUMP, TOKEN
from aiohttp.test_utils import TestClient
from browser_support import Watched
from playwright.async_api import Page, expect

# The one console error a refused token causes: Chromium logs the 401 answer itself.
REFUSED = re.compile(r"Failed to load resource: the server responded with a status of 401")


async def sign_in(page: Page, admin: TestClient, token: str = TOKEN) -> None:
    await page.goto(str(admin.make_url("/admin/")))
    await page.get_by_label("Admin token").fill(token)
    await page.get_by_role("button", name="Open").click()


async def test_triage_groups_a_group_and_its_minidump(admin: TestClient, seeded: dict[str, Any],
                                                       watched: Watched) -> None:
    page = watched.page
    await sign_in(page, admin)
    rows = page.locator("table.groups tbody tr")
    await expect(rows).to_have_count(2)
    common = rows.filter(has=page.locator(f'a[href="#/groups/{seeded["common"]}"]'))
    rare = rows.filter(has=page.locator(f'a[href="#/groups/{seeded["rare"]}"]'))
    await expect(common.locator("td").nth(2)).to_have_text("6")
    await expect(rare.locator("td").nth(2)).to_have_text("below 5")
    # The sparkline has a column per day of the window, and its crashes add up to the group's count.
    spark = common.locator("svg.spark")
    assert await spark.get_attribute("data-total") == "6"
    assert await spark.locator("rect.bar").count() >= 2
    assert await page.evaluate("sessionStorage.getItem('consentry.admin.token')") == TOKEN
    assert await page.evaluate("document.cookie") == ""
    await watched.screenshot("admin-groups")

    await rare.locator("a").click()
    await expect(page.get_by_role("heading", name="PermissionError")).to_be_visible()
    await expect(page.locator("dl.stats")).to_contain_text("below 5")
    await expect(page.locator("ol.signature li")).to_have_text(["interpreter.docs:export_pdf"])
    await expect(page.locator("table.frames tbody tr")).to_have_count(2)
    await expect(page.locator("table.frames")).to_contain_text("httpx._client")
    assert "alice" not in await page.locator("pre.message").inner_text()  # the example message is redacted
    bars = page.locator("svg.columns rect.bar")
    await expect(bars).to_have_count(1)  # both crashes are today's: one non-empty day
    await expect(page.locator("svg.hbars").first).to_contain_text("windows 10.0.22631")
    await watched.screenshot("admin-group")

    async with page.expect_download() as info:
        await page.locator("table.crashes button.download").first.click()
    download = await info.value
    assert download.suggested_filename.endswith(".dmp")
    assert Path(await download.path()).read_bytes() == DUMP
    await expect(page.get_by_role("status").first).to_contain_text(f"saved {len(DUMP):,} bytes")
    assert watched.errors == []


async def test_dashboard_draws_charts_and_shows_suppressed_cells(admin: TestClient, seeded: dict[str, Any],
                                                                 watched: Watched) -> None:
    page = watched.page
    await sign_in(page, admin)
    await expect(page.locator("table.groups")).to_be_visible()
    await page.get_by_role("link", name="Dashboard").click()
    await expect(page.get_by_role("heading", name="Active installs")).to_be_visible()
    # Lines with points, and columns with height: drawn from data, not empty frames.
    paths = page.locator("svg.line path.series")
    await expect(paths).to_have_count(3)
    for d in await paths.evaluate_all("paths => paths.map(path => path.getAttribute('d'))"):
        assert re.fullmatch(r"(M[\d.,]+(L[\d.,]+)*)+", d) and "L" in d, d
    # Some installs were active only lately: days with a DAU under 5 are gaps, and the legend says so.
    await expect(page.locator("svg.line + figcaption")).to_contain_text(re.compile(r"DAU \(\d+ suppressed\)"))
    # Events per day: 6 to 9 installs on the last 4 days (bars), 1 to 4 on the 3 days before (suppressed bands).
    await expect(page.locator("svg.columns rect.bar")).to_have_count(4)
    await expect(page.locator("svg.columns rect.suppressed-band")).to_have_count(3)
    top = page.locator("svg.hbars").first
    await expect(top).to_contain_text("editor.opened")
    await expect(top).to_contain_text("suppressed (<5)")
    assert "beta.secret_feature" not in await page.content()
    crash_free = page.locator("svg.hbars").nth(1)
    await expect(crash_free).to_contain_text("1.4.2")
    # 9 installs ran 1.4.2 (8 regulars and the rare event's), 6 of them crashed.
    await expect(crash_free).to_contain_text("33.33% of 9 installs")
    await watched.screenshot("admin-dashboard")
    assert watched.errors == []


async def test_a_wrong_token_is_refused_on_the_form(admin: TestClient, seeded: dict[str, Any],
                                                     watched: Watched) -> None:
    page = watched.page
    await sign_in(page, admin, token="not-the-token")
    error = page.locator("#login-error")
    await expect(error).to_be_visible()
    await expect(error).to_contain_text("refused")
    await expect(page.locator("table.groups")).to_have_count(0)
    assert await page.evaluate("sessionStorage.getItem('consentry.admin.token')") is None
    await watched.screenshot("admin-wrong-token")
    assert [e for e in watched.errors if not REFUSED.search(e)] == []
    await sign_in(page, admin)  # the right token after a wrong one works without a reload
    await expect(page.locator("table.groups tbody tr")).to_have_count(2)
