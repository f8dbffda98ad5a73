from __future__ import annotations

from pathlib import Path
from uuid import uuid4

from playwright.sync_api import Page, expect

from tests.e2e.conftest import Live


def _log_in(page: Page, live: Live, email: str, password: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()


def test_an_admin_makes_a_team_and_a_sales_user_in_it_who_then_sees_the_board(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    suffix = uuid4().hex[:6]
    team, email, password = f"Benelux {suffix}", f"jan-{suffix}@example.com", "jan's secret"
    _log_in(page, live, "admin@example.com", live.password)
    menu = page.get_by_role("navigation", name="Main")
    menu.get_by_role("link", name="Teams").click()
    page.get_by_label("Team name").fill(team)
    page.get_by_role("button", name="Add team").click()
    expect(page.get_by_role("status")).to_have_text(f"Team “{team}” created.")
    expect(page.get_by_role("heading", name=team)).to_be_visible()
    page.screenshot(path=screenshot_dir / "teams.png", full_page=True)

    menu.get_by_role("link", name="Users").click()
    page.get_by_label("E-mail").fill("not an address")
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_label("E-mail")).to_have_accessible_description("not an e-mail address")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Name", exact=True).fill("Jan de Vries")
    page.get_by_label("Role").select_option("sales")
    page.get_by_label("Password").fill(password)
    page.get_by_label(team).check()
    page.get_by_role("button", name="Add user").click()
    expect(page.get_by_role("status")).to_have_text(f"User {email} created.")
    row = page.get_by_role("row").filter(has_text=email)
    expect(row).to_contain_text(team)
    expect(row).to_contain_text("Sales")
    page.screenshot(path=screenshot_dir / "users.png", full_page=True)

    page.get_by_role("button", name="Log out").click()
    _log_in(page, live, email, password)
    expect(page).to_have_url(f"{live.url}/leads")
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads")
    ).to_be_visible()
    expect(page.get_by_role("heading", name="Leads", exact=True).first).to_be_visible()


def test_the_role_choice_shows_the_team_boxes_only_for_sales(page: Page, live: Live) -> None:
    _log_in(page, live, "admin@example.com", live.password)
    page.goto(f"{live.url}/users")
    teams = page.get_by_role("group", name="Sales teams")
    expect(teams).to_be_visible()
    page.get_by_label("Role").select_option("marketing")
    expect(teams).to_be_hidden()
    page.get_by_label("Role").focus()
    page.keyboard.press("ArrowDown")  # marketing -> sales, by keyboard alone
    expect(teams).to_be_visible()
