from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live


def log_in(page: Page, live: Live, email: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Log in").click()


def test_a_user_logs_in_sees_the_menu_of_the_role_and_logs_out(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    page.goto(f"{live.url}/login")
    page.screenshot(path=screenshot_dir / "login.png")
    log_in(page, live, "sales@example.com")
    expect(page).to_have_url(f"{live.url}/leads")
    menu = page.get_by_role("navigation", name="Main")
    expect(menu.get_by_role("link", name="Leads")).to_be_visible()
    expect(menu.get_by_role("link", name="Users")).to_have_count(0)
    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(f"{live.url}/login")


def test_a_wrong_password_is_shown_next_to_the_form(page: Page, live: Live) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill("sales@example.com")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong e-mail or password.")


def test_the_api_explorer_works_from_our_own_assets(page: Page, live: Live) -> None:
    """Swagger UI under the content security policy, with no request to another site."""
    elsewhere: list[str] = []
    page.on(
        "request", lambda r: elsewhere.append(r.url) if not r.url.startswith(live.url) else None
    )
    page.goto(f"{live.url}/docs")
    # Swagger UI builds the page from the spec in the browser: slow when it is the first page a
    # cold browser renders on a busy machine.
    expect(page.get_by_text("/api/v1/events/batch").first).to_be_visible(timeout=20_000)
    assert elsewhere == []
