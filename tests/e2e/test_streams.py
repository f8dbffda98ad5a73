from __future__ import annotations

import re
import uuid
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def _unique(name: str) -> str:
    """The e2e server is shared by every e2e test of the session."""
    return f"{name} {uuid.uuid4().hex[:6]}"


def _seed(live: Live) -> tuple[str, str]:
    """A team and contacts of this test's own: its stream makes leads of these only."""
    tag = uuid.uuid4().hex[:6]
    team = f"Enterprise {tag}"
    builders.team(live.ctx, team)
    domain = f"@streams-{tag}.example"
    for user, score in (("ada", 80), ("bo", 60), ("cy", 10)):
        builders.contact(live.ctx, user + domain, lead_score=score, first_name=user.title())
    return team, domain


def test_marketing_builds_a_stream_with_the_rule_editor_and_switches_it_on(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    team, domain = _seed(live)
    log_in(page, live, "marketing@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_role("link", name="Stream settings").click()  # the "Lead streams" box's cog
    expect(page).to_have_url(f"{live.url}/streams")
    page.get_by_role("link", name="Add lead stream").click()

    name = _unique("High scores")
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Description").fill("Contacts with a high lead score")
    _add_rule(page, "Lead score", "is at least", "50")
    expect(page.locator("#rules-text")).to_have_text("Lead score is at least 50")

    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Submitted a form")
    page.get_by_label("Which form (optional)").fill("Contact us")
    page.get_by_label("In the last (days)").fill("30")
    page.locator("#rules-text").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "rule-editor.png", full_page=True)
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rules-text")).to_have_text(
        'Lead score is at least 50, and submitted form "Contact us" at least 1 time in the last'
        " 30 days"
    )
    page.get_by_role("radio", name="any rule holds (OR)").check()
    expect(page.locator("#rules-text")).to_contain_text("Lead score is at least 50, or submitted")
    page.get_by_role("button", name=re.compile(r"^Remove rule: Submitted")).click()
    expect(page.locator("#rules-text")).to_have_text("Lead score is at least 50")
    page.get_by_role("radio", name="all rules hold (AND)").check()
    _add_rule(page, "Email", "ends with", domain)
    expect(page.locator("#rules-text")).to_have_text(
        f'Lead score is at least 50, and email ends with "{domain}"'
    )

    page.get_by_label(team).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Lead stream created")
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_role("button", name="Clear leads")).to_be_enabled()
    expect(page.get_by_role("button", name="Fetch ALL leads from history")).to_be_disabled()
    expect(page.locator("#preview")).to_contain_text("2 contacts match")

    switch = page.get_by_role("switch", name="Active")
    expect(switch).not_to_be_checked()
    switch.click()
    expect(page.get_by_role("switch", name="Active")).to_be_checked()
    expect(page.locator(".lede")).to_contain_text("Active ·")
    expect(page.get_by_role("button", name="Clear leads")).to_be_disabled()
    expect(page.get_by_role("button", name="Fetch ALL leads from history")).to_be_enabled()

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Fetch ALL leads from history").click()
    progress = page.locator("#job-progress")
    expect(progress).to_contain_text("History fetched", timeout=15_000)
    expect(progress).to_contain_text("2 matches created")
    page.reload()
    expect(page.locator(".history")).to_contain_text("finished fetching leads from history")
    page.screenshot(path=Path("/tmp") / "stream-page.png", full_page=True)

    page.get_by_role("link", name="Lead streams").click()
    row = page.get_by_role("row").filter(has_text=name)
    expect(row.get_by_role("switch")).to_be_checked()
    expect(row).to_contain_text(team)
    expect(row.locator("td.num")).to_have_text("2")
    page.screenshot(path=screenshot_dir / "streams.png", full_page=True)


def _add_rule(page: Page, field: str, operator: str, value: str) -> None:
    page.get_by_role("button", name="Add new rule").click()
    _apply_rule(page, field, operator, value)


def _apply_rule(page: Page, field: str, operator: str, value: str) -> None:
    page.get_by_label("Field or activity").select_option(label=field)
    page.get_by_label("Operator").select_option(label=operator)
    page.get_by_label("Value").fill(value)
    page.get_by_role("button", name="Apply").click()


def test_the_editor_shows_a_validation_error_next_to_its_field(page: Page, live: Live) -> None:
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/new")
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Company")
    page.get_by_label("Operator").select_option(label="contains")
    page.get_by_role("button", name="Apply").click()
    value = page.get_by_label("Value")
    expect(value).to_have_attribute("aria-invalid", "true")
    expect(value).to_be_focused()
    error = page.locator(".condition-editor .field-error")
    expect(error).to_contain_text("Type a value. To find contacts without one, choose")
    expect(page.locator("#rules-text")).to_contain_text("No rules yet")

    value.fill("nordic")
    value.press("Enter")  # applies the rule; never submits the form
    expect(page.locator("#rules-text")).to_contain_text('Company contains "nordic"')
    page.get_by_role("button", name="Add group").click()  # opens the editor inside the group
    _apply_rule(page, "Country", "is one of", "SE, NO")
    page.locator(".rule-group.depth-1").get_by_role("button", name="Add new rule").click()
    _apply_rule(page, "City", "is", "Oslo")
    expect(page.locator("#rules-text")).to_have_text(
        'Company contains "nordic", and (country is one of SE, NO, or city is "Oslo")'
    )
    page.get_by_role("button", name="Edit rule: City").click()
    page.get_by_label("Value").fill("Bergen")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rules-text")).to_contain_text('city is "Bergen"')
    page.get_by_role("button", name="Save").click()  # no name, no team: shown at each field
    expect(page.locator("#name-error")).to_have_text("Give the stream a name.")
    expect(page.locator("#team_ids-error")).to_have_text("Tick at least one sales team.")
    expect(page.locator("#rules-text")).to_contain_text('Company contains "nordic"')


def test_sales_sees_the_streams_without_controls(page: Page, live: Live) -> None:
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/streams")
    expect(page.get_by_role("heading", name="Lead streams")).to_be_visible()
    expect(page.get_by_role("link", name="Add lead stream")).to_have_count(0)
    expect(page.get_by_role("switch")).to_have_count(0)


def test_the_editor_fits_a_phone(page: Page, live: Live) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/new")
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Submitted a form")
    page.get_by_role("button", name="Add property condition").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=Path("/tmp") / "rule-editor-phone.png", full_page=True)
