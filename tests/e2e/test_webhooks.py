"""The Webhooks page in a browser: add two webhooks (the secret shown once), a lead arrives,
the worker sends; the one whose receiver is down stands out, and its log offers "Send again"."""

from __future__ import annotations

import time
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_admin import _log_in
from tests.support import builders
from tests.support.receiver import Receiver


def _add(page: Page, url: str) -> None:
    page.get_by_label("URL").fill(url)
    page.get_by_role("button", name="Add webhook").click()
    expect(
        page.get_by_role("heading", name="Webhook added: copy its signing secret now")
    ).to_be_visible()
    assert page.locator("#secret-value").inner_text().startswith("whsec_")


def test_an_admin_adds_webhooks_and_sees_the_failing_one_stand_out(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    good, down = Receiver(), Receiver()
    down.stop()  # connection refused
    try:
        _log_in(page, live, "admin@example.com", live.password)
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Webhooks").click()
        _add(page, good.url)
        _add(page, down.url)
        rules = {"all": [{"event": "form_submitted"}]}
        builders.stream(live.ctx, rules, team_ids=[live.team_id], name="Webhook e2e")
        builders.event(live.ctx, "hook-e2e@example.com", properties={"form": "Contact us"})

        deadline = time.monotonic() + 20
        while not (good.accepted and "failing</span>" in page.content()):
            assert time.monotonic() < deadline, "nothing was sent, or nothing failed"
            time.sleep(0.3)
            page.goto(f"{live.url}/webhooks")
        failing = page.locator("section.hook.failing")
        expect(failing).to_have_count(1)
        expect(failing.get_by_role("heading")).to_contain_text(down.url)
        page.screenshot(path=screenshot_dir / "webhooks.png", full_page=True)

        failing.get_by_role("link", name="Delivery log").click()
        expect(page.get_by_role("cell", name="pending")).to_be_visible()
        expect(page.locator("ol.attempts li").first).to_contain_text("refused")
        page.screenshot(path=screenshot_dir / "webhook-deliveries.png", full_page=True)
        page.get_by_role("button", name="Send again").first.click()
        expect(page.get_by_role("status")).to_contain_text(
            "will be sent again, with the same webhook-id"
        )
    finally:
        good.stop()
