"""The Reports page in a browser: marketing opens it from the menu, sees a stream's leads per
week as a chart with its table, the funnel, and switches to the per-team view; a phone-sized
window does not scroll sideways."""

from __future__ import annotations

import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_a_streams_performance_per_stream_and_per_team(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    tag = uuid.uuid4().hex[:6]
    rules = {"all": [{"field": "email", "op": "ends_with", "value": f"reports-{tag}.example"}]}
    name = f"Report readers {tag}"
    builders.stream(live.ctx, rules, team_ids=[live.team_id], name=name)
    for person in ("ann", "bo", "cy"):
        builders.contact(live.ctx, f"{person}@reports-{tag}.example")

    log_in(page, live, "marketing@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    section = page.get_by_role("region", name=name)
    expect(section.get_by_role("img", name="3 leads over")).to_be_visible()
    funnel = section.locator("table.funnel")
    expect(funnel.get_by_role("row", name="Leads 3 100%")).to_be_visible()
    section.get_by_text("Table").click()
    expect(section.locator("table.weeks")).to_contain_text("3")
    page.screenshot(path=str(screenshot_dir / "reports.png"), full_page=False)

    page.get_by_label("Per").select_option("team")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("region", name="Nordics").get_by_role("img").first).to_be_visible()

    page.set_viewport_size({"width": 390, "height": 800})
    page.reload()
    wide = page.evaluate("document.documentElement.scrollWidth")
    assert wide <= 390, f"the page is {wide} px wide at 390 px"
