"""The stream page's completeness in a browser (issue 13, item 11): re-qualify period,
duplicate, delete (inactive only) and the archive of cleared leads and matches."""

from __future__ import annotations

from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders


def test_marketing_sets_requalify_duplicates_deletes_and_reads_the_archive(
    page: Page, live: Live
) -> None:
    tag = uuid4().hex[:8]
    name = f"Archive me {tag}"
    stream_id = builders.stream(live.ctx, {"field": "tags", "op": "contains", "value": tag},
                                team_ids=[live.team_id], name=name)  # fmt: skip
    builders.contact(live.ctx, f"olga.{tag}@example.com", first_name="Olga", last_name=tag,
                     tags=[tag])  # fmt: skip
    log_in(page, live, "marketing@example.com")
    page.goto(f"{live.url}/streams/{stream_id}")

    days = page.get_by_label("Re-qualify after (days)")
    days.fill("abc")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#requalify_after_days-error")).to_have_text(
        "Enter a whole number of days from 1 to 3,650, or leave it empty."
    )
    page.get_by_label("Re-qualify after (days)").fill("30")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("Saved.")
    expect(page.get_by_label("Re-qualify after (days)")).to_have_value("30")
    expect(page.get_by_role("button", name="Delete stream")).to_be_disabled()  # active

    page.get_by_role("link", name="Duplicate this stream").click()
    expect(page.get_by_label("Name", exact=True)).to_have_value(f"Copy of {name}")
    expect(page.locator("#rules-text")).to_contain_text(f'Tags include "{tag}"')
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", name=f"Copy of {name}")).to_be_visible()
    expect(page.get_by_label("Re-qualify after (days)")).to_have_value("30")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Delete stream").click()  # a new stream is inactive
    expect(page).to_have_url(f"{live.url}/streams")
    expect(page.get_by_role("status").first).to_contain_text(f"“Copy of {name}” deleted")
    expect(page.get_by_role("link", name=f"Copy of {name}")).to_have_count(0)

    page.get_by_role("link", name=name, exact=True).click()
    page.get_by_role("switch").click()  # off, so that its leads may be cleared
    expect(page.get_by_role("button", name="Clear leads")).to_be_enabled()
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Clear leads").click()
    expect(page.get_by_role("status").first).to_contain_text("Cleared 1 leads")
    page.get_by_role("link", name="Archive: cleared leads and matches").click()
    expect(page.get_by_role("heading", name="Archive")).to_be_visible()
    row = page.get_by_role("row").filter(has_text=f"Olga {tag}")
    expect(row).to_contain_text("Archived")
