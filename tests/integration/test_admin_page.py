"""What the /admin/ page needs from the collector: its static files under strict headers, sparkline days and
k-anonymous install counts in the group list, splits and grouping frames for a group, and the top-events report."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from admin_support import AUTH, TOKEN, post, report
from aiohttp.test_utils import TestClient, TestServer
from support import drain, make_batch

from ingest.admin.page import FILES, WEB
from ingest.app import create_app


@pytest.fixture
async def k3(make_settings: Any) -> AsyncIterator[TestClient]:
    """The admin API with K = 3, so a few uploads make groups on both sides of it."""
    settings = make_settings(CONSENTRY_ADMIN_TOKEN=TOKEN, CONSENTRY_REPORTS_MIN_INSTALLS="3")
    async with TestClient(TestServer(create_app(settings), host="127.0.0.1")) as client:
        yield client


def day_of(minutes_ago: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes_ago)).date().isoformat()


async def test_group_list_has_days_and_withholds_install_counts_under_k(k3: TestClient) -> None:
    two_days = 2 * 24 * 60
    wide = await post(k3, report(minutes_ago=two_days))
    for _ in range(2):
        assert await post(k3, report(version="1.5.0")) == wide
    narrow_install = str(uuid.uuid4())
    narrow = await post(k3, report(function="save_document", install=narrow_install))
    await post(k3, report(function="save_document", install=narrow_install))
    await post(k3, report(function="save_document"))
    response = await k3.get("/v1/admin/crash-groups?since=7d", headers=AUTH)
    text = await response.text()
    data = await response.json()
    assert data["min_installs"] == 3 and data["since"].endswith("Z")
    groups = {g["group_id"]: g for g in data["groups"]}
    assert (groups[wide]["installs"], groups[wide]["installs_suppressed"]) == (3, False)
    assert (groups[narrow]["installs"], groups[narrow]["installs_suppressed"]) == (None, True)
    assert groups[narrow]["crashes"] == 3
    assert '"installs":2' not in text  # the withheld count appears nowhere, not even in another field
    expected = {day_of(two_days): 1}
    expected[day_of(3)] = expected.get(day_of(3), 0) + 2
    assert groups[wide]["daily"] == [{"day": d, "crashes": n} for d, n in sorted(expected.items())]
    assert sum(d["crashes"] for d in groups[narrow]["daily"]) == 3
    # The release filter applies to the days as well as to the counts.
    filtered = await (await k3.get("/v1/admin/crash-groups?release=1.5.0", headers=AUTH)).json()
    assert [(g["group_id"], g["daily"]) for g in filtered["groups"]] == [(wide, [{"day": day_of(3), "crashes": 2}])]


async def test_group_page_has_splits_grouping_frames_and_days(k3: TestClient) -> None:
    bodies = [report(), report(), report(version="1.5.0")]
    bodies[2]["context"] |= {"os": "macos", "os_version": "14.5"}
    group = await post(k3, bodies[0])
    await post(k3, bodies[1], dump=None)
    await post(k3, bodies[2])
    detail = await (await k3.get(f"/v1/admin/crash-groups/{group}", headers=AUTH)).json()
    assert detail["os"] == [{"os": "windows", "os_version": "10.0.22631", "crashes": 2},
                            {"os": "macos", "os_version": "14.5", "crashes": 1}]
    assert detail["releases"] == [{"release": "1.4.2", "crashes": 2}, {"release": "1.5.0", "crashes": 1}]
    # Only the in-app frame, normalised: exactly what the group id is the hash of (fingerprint.py).
    assert detail["signature"] == ["interpreter.docs:open_document"]
    basis = "v1|stack|FileNotFoundError|interpreter.docs:open_document"
    assert group == hashlib.sha256(basis.encode()).hexdigest()[:32]
    assert detail["group"]["installs"] == 3 and detail["group"]["installs_suppressed"] is False
    assert detail["daily_since"] == day_of(29 * 24 * 60)
    assert sum(d["crashes"] for d in detail["daily"]) == 3
    dumps = {c["crash_id"]: c["has_minidump"] for c in detail["crashes"]}
    assert dumps == {bodies[0]["crash_id"]: True, bodies[1]["crash_id"]: False, bodies[2]["crash_id"]: True}


async def test_group_page_withholds_a_small_groups_install_count(admin: TestClient) -> None:
    group = await post(admin, report())  # K is 5 by default
    response = await admin.get(f"/v1/admin/crash-groups/{group}", headers=AUTH)
    detail = await response.json()
    assert (detail["group"]["installs"], detail["group"]["installs_suppressed"]) == (None, True)
    assert detail["min_installs"] == 5 and '"installs":1' not in await response.text()


async def test_top_events_report_ranks_and_suppresses_rare_names(admin: TestClient) -> None:
    for _ in range(5):
        assert (await admin.post("/v1/events", json=make_batch(2))).status == 202
    rare = make_batch(1)
    rare["events"][0]["name"] = "rare.secret_feature"
    assert (await admin.post("/v1/events", json=rare)).status == 202
    await drain(admin)
    for source in ("rollup", "raw"):
        response = await admin.get(f"/v1/admin/reports/top-events?since=2d&source={source}", headers=AUTH)
        assert response.status == 200, await response.text()
        rows = (await response.json())["rows"]
        cells = [(r["event"], r["events"], r["installs"]) for r in rows]
        assert cells == [("editor.opened", 10, 5), (None, None, None)]
        assert rows[1]["suppressed"] == ["event", "events", "installs"]
        assert "rare.secret_feature" not in await response.text()
    refused = await admin.get("/v1/admin/reports/top-events?event=editor.opened", headers=AUTH)
    assert refused.status == 400


async def test_the_page_is_served_without_a_token_under_strict_headers(admin: TestClient) -> None:
    redirect = await admin.get("/admin", allow_redirects=False)
    assert redirect.status == 308 and redirect.headers["Location"] == "/admin/"
    for path, name in [("/admin/", "index.html"), *((f"/admin/{n}", n) for n in FILES)]:
        response = await admin.get(path)
        assert response.status == 200, path
        assert response.content_type == FILES[name]
        assert await response.read() == WEB.joinpath(name).read_bytes()
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe" not in csp
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
    for path in ("/admin/routes.py", "/admin/..%2Fpage.py", "/admin/web", "/admin/INDEX.HTML"):
        response = await admin.get(path)
        assert response.status == 404, path
        assert response.headers["X-Frame-Options"] == "DENY"


def test_the_page_loads_nothing_from_elsewhere_and_has_no_inline_script() -> None:
    html = WEB.joinpath("index.html").read_text()
    assert re.findall(r"<script\b[^>]*>", html) == ['<script type="module" src="app.js">']
    assert not re.search(r"\s(style|on[a-z]+)=", html)  # no inline style or handler for the CSP to block
    for name in FILES:
        text = WEB.joinpath(name).read_text()
        # The SVG namespace is a name, not a fetch; any other absolute URL would be one.
        assert re.findall(r"(?:https?:)?//[\w.-]+\.\w+", text.replace("http://www.w3.org/2000/svg", "")) == [], name
        # Client-sent text (messages, frames, event names) must never be parsed as markup or code.
        assert not re.search(r"\.(inner|outer)HTML\s*=|insertAdjacentHTML|document\.write|eval\(|Function\(",
                             text), name
    shipped = sorted(path.name for path in WEB.iterdir())
    assert shipped == sorted(FILES)  # nothing shipped that is not served, nothing served that is not shipped


async def test_without_an_admin_token_there_is_no_page(client: TestClient) -> None:
    assert (await client.get("/admin/")).status == 404
    assert (await client.get("/admin/app.js")).status == 404
