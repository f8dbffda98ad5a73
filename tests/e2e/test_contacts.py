"""One contact page (issue 13, item 9): marketing filters the contacts, opens one, sees its
fields by their labels and its lead, and edits it."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_marketing_filters_opens_and_edits_a_contact(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    builders.stream(live.ctx, {"all": [{"field": "tags", "op": "contains", "value": tag},
                                       {"field": "lead_score", "op": "gte", "value": 50}]},
                    team_ids=[live.team_id], name=f"Contacts {tag}")  # fmt: skip
    builders.contact(live.ctx, f"hot.{tag}@example.com", first_name="Hanna", last_name=tag,
                     lead_score=80, tags=[tag])  # fmt: skip
    builders.contact(live.ctx, f"cold.{tag}@example.com", first_name="Carl", last_name=tag,
                     lead_score=5, tags=[tag])  # fmt: skip
    log_in(page, live, "marketing@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Contacts").click()
    filters = page.get_by_role("search", name="Filter contacts")
    filters.get_by_label("Tag").fill(tag)
    filters.get_by_label("Lead", exact=True).select_option(label="No lead")
    filters.get_by_role("button", name="Filter").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(f"Carl {tag}")
    filters = page.get_by_role("search", name="Filter contacts")
    filters.get_by_label("Lead", exact=True).select_option(label="Has a lead")
    filters.get_by_label("Lead score from").fill("50")
    filters.get_by_role("button", name="Filter").click()
    expect(rows).to_have_count(1)
    expect(rows.get_by_role("link", name="MQL")).to_be_visible()

    rows.get_by_role("link", name=f"Hanna {tag}").click()
    expect(page.get_by_role("heading", name=f"Hanna {tag}")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("MQL — open the lead card")
    edit = page.get_by_role("region", name="Edit contact")
    edit.get_by_label("Country (two letters, e.g. SE)").fill("Sweden")
    edit.get_by_role("button", name="Save contact").click()
    expect(page.locator("#edit-country-error")).to_have_text(
        "Enter a two-letter country code, e.g. SE."
    )
    edit = page.get_by_role("region", name="Edit contact")
    edit.get_by_label("Country (two letters, e.g. SE)").fill("se")
    edit.get_by_label("Company").fill("Nordic Freight")
    edit.get_by_role("button", name="Save contact").click()
    expect(page.get_by_role("status")).to_have_text("Contact saved.")
    expect(page.locator(".fields")).to_contain_text("CountrySE")
    expect(page.locator(".contact-head")).to_contain_text("Nordic Freight")
    page.get_by_role("link", name="MQL — open the lead card").click()
    expect(page.get_by_role("heading", name="Why this is a lead")).to_be_visible()
