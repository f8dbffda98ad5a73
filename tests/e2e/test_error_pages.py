"""Pages answer with pages (issue 13, item 4): never the API's JSON envelope in the browser."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in


def test_an_unknown_address_while_logged_in_is_a_styled_page_with_the_menu(
    page: Page, live: Live
) -> None:
    log_in(page, live, "marketing@example.com")
    expect(page).to_have_url(f"{live.url}/leads")
    answer = page.goto(f"{live.url}/streams/oops/nothing-here")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Streams")
    ).to_be_visible()
    expect(page.locator("body")).not_to_contain_text('"error"')
    page.get_by_role("link", name="Go to the lead board").click()
    expect(page).to_have_url(f"{live.url}/leads")


def test_the_login_form_sent_empty_shows_the_form_again_with_a_note_at_each_field(
    page: Page, live: Live
) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    expect(page.locator("#email-error")).to_have_text("Enter the e-mail address you log in with.")
    expect(page.locator("#password-error")).to_have_text("Enter your password.")
    expect(page.get_by_label("E-mail")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("body")).not_to_contain_text('"error"')
    page.get_by_label("E-mail").fill("sales@example.com")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_label("E-mail")).to_have_value("sales@example.com")
    expect(page.locator("#email-error")).to_have_count(0)
    expect(page.locator("#password-error")).to_be_visible()
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live.url}/leads")
