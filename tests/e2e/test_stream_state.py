"""The stream page says its state and follows the live feed (issue 13, item 5)."""

from __future__ import annotations

import re
from uuid import uuid4

from playwright.sync_api import Dialog, Page, expect

from leadstreams.services import fetch_history, streams
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

LIVE = 10_000


def test_the_switch_says_the_state_and_the_counts_follow_a_fetch(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    name = f"State {tag}"
    rules = {"field": "tags", "op": "contains", "value": tag}
    stream_id = builders.stream(live.ctx, rules, team_ids=[live.team_id], name=name, active=False)
    for n in range(3):
        builders.contact(live.ctx, f"p{n}.{tag}@example.com", tags=[tag])
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/{stream_id}")
    switch = page.get_by_role("switch", name="Active")
    head = page.locator(".head-switch .switch-state")
    expect(head).to_have_text("Inactive")  # what it shows is the state it is in
    expect(switch).not_to_be_checked()
    switch.check()
    expect(page.locator(".head-switch .switch-state")).to_have_text("Active")
    facts = page.locator("#stream-facts")
    expect(facts).to_have_text("Active · 0 leads")
    expect(page.locator("#fetch-last")).to_have_text("Not run yet.")
    page.wait_for_timeout(700)  # the live feed connects

    # Someone else fetches history: the header counts what it made, without a reload.
    fetch_history.start_fetch_history(live.ctx, stream_id=stream_id, user_id=None)
    expect(facts).to_contain_text("Active · 3 leads", timeout=LIVE)
    expect(page.locator("#fetch-last")).to_have_text(
        re.compile(r"Last run \d{4}-\d\d-\d\d \d\d:\d\d UTC: 3 new matches\."), timeout=LIVE
    )

    # A second run asks first, saying when the last one ran and what it made.
    asked: list[str] = []

    def decline(dialog: Dialog) -> None:
        asked.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", decline)
    page.get_by_role("button", name="Fetch ALL leads from history").click()
    expect(page).to_have_url(f"{live.url}/streams/{stream_id}")  # declined: nothing started
    assert len(asked) == 1 and asked[0].startswith("Fetch ALL leads from history again?")
    assert "3 new matches" in asked[0]

    # Switched off elsewhere: the page says so.
    streams.set_active(live.ctx, stream_id=stream_id, active=False, user_id=None)
    expect(facts).to_contain_text("Inactive · 3 leads", timeout=LIVE)
    expect(page.locator(".head-switch .switch-state")).to_have_text("Inactive")
    expect(page.get_by_role("switch", name="Active")).not_to_be_checked()


def test_the_stream_list_follows_switches_and_clears_made_elsewhere(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    name = f"Listed {tag}"
    rules = {"field": "tags", "op": "contains", "value": tag}
    stream_id = builders.stream(live.ctx, rules, team_ids=[live.team_id], name=name)
    builders.contact(live.ctx, f"{tag}@example.com", tags=[tag])
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name=name))
    expect(row.get_by_role("cell").nth(3)).to_have_text("1")
    expect(row.locator(".switch-state")).to_have_text("Active")
    page.wait_for_timeout(700)
    streams.set_active(live.ctx, stream_id=stream_id, active=False, user_id=None)
    expect(row.locator(".switch-state")).to_have_text("Inactive", timeout=LIVE)
    expect(row.get_by_role("switch", name=f"Active: {name}")).not_to_be_checked()
    fetch_history.clear_stream(live.ctx, stream_id=stream_id, user_id=None)
    expect(row.get_by_role("cell").nth(3)).to_have_text("0", timeout=LIVE)
