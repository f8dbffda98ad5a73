""" "Why doesn't this contact match?" on the stream page (issue 13, item 12): marketing types
the e-mail of a lead they expected and reads the ✓/✗ tree of the rules with the values seen."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_marketing_sees_which_rule_kept_a_contact_out(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    rules = {"all": [
        {"field": "tags", "op": "contains", "value": tag},
        {"field": "lead_score", "op": "gte", "value": 50},
    ]}  # fmt: skip
    stream_id = builders.stream(live.ctx, rules, team_ids=[live.team_id], name=f"Why {tag}")
    email = f"pia.{tag}@example.com"
    builders.contact(live.ctx, email, first_name="Pia", last_name=tag, tags=[tag], lead_score=20)
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/{stream_id}")
    box = page.get_by_role("region", name="Why doesn't this contact match?")
    box.get_by_role("button", name="Check").click()
    expect(box.locator("#check-email-error")).to_have_text(
        "Enter the e-mail address of the contact you expected."
    )
    box.get_by_label("Contact's e-mail").fill(email.upper())
    box.get_by_role("button", name="Check").click()
    result = box.locator("#check-result")
    expect(result).to_contain_text(f"Pia {tag} does not match the rules now")
    leaves = result.locator(".explain-root > .cond > .explain > .cond")
    failed = leaves.filter(has_text="Lead score is at least 50")
    expect(failed).to_have_class("cond failed")
    expect(failed).to_contain_text("value seen: 20")
    expect(failed.locator(".mark")).to_have_text("✗")
    held = leaves.filter(has_text=f'Tags include "{tag}"')
    expect(held).to_have_class("cond held")
    expect(held.locator(".mark")).to_have_text("✓")
    expect(page).to_have_url(f"{live.url}/streams/{stream_id}")  # the page stays
