"""Bulk actions on the board (issue 13, item 15): tick cards, then move, assign or hide them."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_a_seller_moves_assigns_and_hides_the_cards_they_tick(page: Page, live: Live) -> None:
    tag = uuid4().hex[:8]
    rules = {"field": "tags", "op": "contains", "value": tag}
    builders.stream(live.ctx, rules, team_ids=[live.team_id], name=f"Bulk {tag}")
    for first in ("Alva", "Bert", "Cora"):
        builders.contact(live.ctx, f"{first.lower()}.{tag}@example.com", first_name=first,
                         last_name=tag, tags=[tag])  # fmt: skip
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?q={tag}")
    bar = page.get_by_role("form", name="Selected leads")
    expect(bar).to_be_hidden()
    page.get_by_label(f"Select Alva {tag}").check()
    page.get_by_label(f"Select Bert {tag}").check()
    expect(bar).to_contain_text("2 selected")

    bar.get_by_label("Move to").select_option("opportunity")
    bar.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_have_text("Moved 2 leads to Opportunity.")
    opportunity = page.locator('[data-column="opportunity"]')
    expect(opportunity.locator(".lead")).to_have_count(2)
    expect(bar).to_be_hidden()  # the selection is done with

    page.get_by_label(f"Select Cora {tag}").check()
    page.get_by_label(f"Select Alva {tag}").check()
    bar.get_by_label("Assign to").select_option("me")
    bar.get_by_role("button", name="Assign").click()
    expect(page.get_by_role("status")).to_have_text("Assigned 2 leads.")
    cora = page.locator(".lead").filter(has_text=f"Cora {tag}")
    expect(cora.locator(".assignee")).to_contain_text("sales")

    page.get_by_label(f"Select Cora {tag}").check()
    bar.get_by_role("button", name="Hide").click()
    expect(page.get_by_role("status")).to_have_text("Hid 1 lead.")
    expect(cora).to_have_count(0)  # a hidden lead leaves the board (unless "Show hidden")
    expect(page.locator(".lead").filter(has_text=f"Bert {tag}")).to_be_visible()
