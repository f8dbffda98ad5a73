"""The whole journey of the help page, in the browser, with the issue's labels.

Leads → the cog of "Lead streams" → "Add lead stream" → "Add new rule" (lead score at least
50) → "Apply" → a team → save → "Active" → a contact crosses the score over the API and
its lead appears on the open board without a reload → "Fetch ALL leads from history" →
inactive → "Clear leads" → the stream's board is empty. Then a sales user, and the rule
editor's errors. The e2e server is shared by the session: every name here is unique.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from uuid import uuid4

from playwright.sync_api import Dialog, Page, expect

from tests.e2e.conftest import Live
from tests.support import builders


def _log_in(page: Page, live: Live, email: str) -> None:
    page.goto(f"{live.url}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(live.password)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live.url}/leads")


def _accept_confirmations(page: Page) -> None:
    def accept(dialog: Dialog) -> None:
        dialog.accept()

    page.on("dialog", accept)


def _api_token(page: Page, live: Live, email: str) -> str:
    answer = page.request.post(
        f"{live.url}/api/v1/auth/token", form={"username": email, "password": live.password}
    )
    assert answer.ok, answer.text()
    token: str = answer.json()["access_token"]
    return token


def _upsert_contact(page: Page, live: Live, token: str, body: dict[str, Any]) -> None:
    answer = page.request.post(
        f"{live.url}/api/v1/contacts", data=body, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.ok, answer.text()


def _board_of_stream(page: Page, stream: str) -> None:
    """The board, filtered to one stream (the filter form, as a user sets it)."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_label("Lead stream", exact=True).select_option(label=stream)
    page.get_by_role("button", name="Apply filters").click()


def _open_stream(page: Page, stream: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    box = page.get_by_role("region", name="Lead streams")
    box.get_by_role("link", name="Stream settings").click()
    page.get_by_role("link", name=stream, exact=True).click()


def _card(page: Page, name: str) -> Any:
    return page.locator(".lead").filter(has=page.get_by_role("link", name=name, exact=True))


def test_marketing_builds_a_stream_that_delivers_live_and_from_history(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    suffix = uuid4().hex[:6]
    stream, team = f"Hot leads {suffix}", f"Walk {suffix}"
    builders.team(live.ctx, team)
    for who, score in (("Older", 80), ("Oldest", 95)):  # high scores from before the stream
        builders.contact(
            live.ctx, f"{who.lower()}-{suffix}@example.com", first_name=who,
            last_name=suffix, lead_score=score,
        )  # fmt: skip
    _accept_confirmations(page)
    _log_in(page, live, "admin@example.com")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Leads").click()
    page.get_by_role("region", name="Lead streams").get_by_role(
        "link", name="Stream settings"
    ).click()
    page.get_by_role("link", name="Add lead stream").click()
    page.get_by_label("Name", exact=True).fill(stream)
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_label("Field or activity").select_option(label="Lead score")
    page.get_by_label("Operator").select_option(label="is at least")
    page.get_by_label("Value", exact=True).fill("50")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#rules-text")).to_contain_text("50")
    page.get_by_label(team, exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status").first).to_contain_text("created")
    page.get_by_role("switch", name="Active").check()
    expect(page.get_by_text("new matches now make leads")).to_be_visible()

    _board_of_stream(page, stream)
    expect(_card(page, f"Older {suffix}")).to_have_count(0)  # rule 2: no match from before
    token = _api_token(page, live, "marketing@example.com")
    email = f"live-{suffix}@example.com"
    base = {"email": email, "first_name": "Live", "last_name": suffix}
    _upsert_contact(page, live, token, base | {"lead_score": 10})
    _upsert_contact(page, live, token, base | {"lead_score": 75})  # crosses 50
    expect(_card(page, f"Live {suffix}")).to_be_visible()  # no reload: the live feed

    _open_stream(page, stream)
    page.get_by_role("button", name="Fetch ALL leads from history").click()
    expect(page.get_by_text("History fetched")).to_be_visible(timeout=20_000)
    _board_of_stream(page, stream)
    for who in ("Older", "Oldest", "Live"):
        expect(_card(page, f"{who} {suffix}")).to_be_visible()
    page.screenshot(path=screenshot_dir / "walkthrough-board.png", full_page=True)

    _open_stream(page, stream)
    page.get_by_role("switch", name="Active").uncheck()
    expect(page.get_by_text("the stream makes no new leads")).to_be_visible()
    page.get_by_role("button", name="Clear leads").click()
    expect(page.get_by_role("status").first).to_contain_text("Cleared")
    _board_of_stream(page, stream)
    expect(page.locator(".lead")).to_have_count(0)
    expect(page.get_by_text("No leads match these filters.")).to_be_visible()


def test_a_sales_user_sees_only_the_leads_of_their_team_and_drags_one_to_sql(
    page: Page, live: Live
) -> None:
    suffix = uuid4().hex[:6]
    mine, theirs = (
        builders.team(live.ctx, f"Mine {suffix}"),
        builders.team(live.ctx, f"Theirs {suffix}"),
    )
    builders.user(live.ctx, f"seller-{suffix}@example.com", team_ids=[mine])
    for name, team in (("Ours", mine), ("Others", theirs)):
        tag = f"{name.lower()}-{suffix}"
        rules = {"field": "tags", "op": "contains", "value": tag}
        builders.stream(live.ctx, rules, team_ids=[team], name=f"{name} {suffix}")
        builders.contact(
            live.ctx, f"{tag}@example.com", first_name=name, last_name=suffix, tags=[tag]
        )
    _log_in(page, live, f"seller-{suffix}@example.com")
    ours = _card(page, f"Ours {suffix}")
    expect(ours).to_be_visible()
    expect(_card(page, f"Others {suffix}")).to_have_count(0)
    ours.drag_to(page.get_by_role("region", name="SQL"))
    expect(
        page.get_by_role("region", name="SQL").locator(".lead").filter(has_text=f"Ours {suffix}")
    ).to_be_visible()
    expect(page.get_by_role("status").first).to_contain_text("Moved")
    page.reload()  # the move was saved, not only drawn
    sql = page.get_by_role("region", name="SQL")
    expect(sql.locator(".lead").filter(has_text=f"Ours {suffix}")).to_be_visible()


def test_the_rule_editor_shows_what_is_wrong_next_to_it(page: Page, live: Live) -> None:
    _log_in(page, live, "marketing@example.com")
    page.get_by_role("region", name="Lead streams").get_by_role(
        "link", name="Stream settings"
    ).click()
    page.get_by_role("link", name="Add lead stream").click()
    page.get_by_role("button", name="Add new rule").click()
    page.get_by_role("button", name="Apply").click()
    subject = page.get_by_label("Field or activity")
    expect(subject).to_have_accessible_description("Choose a field or an activity.")
    subject.select_option(label="Lead score")
    page.get_by_label("Operator").select_option(label="is at least")
    page.get_by_role("button", name="Apply").click()  # no value
    expect(page.get_by_label("Value", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Value", exact=True)).to_have_accessible_description(re.compile(".+"))
    page.get_by_role("button", name="Cancel").click()
    page.get_by_role("button", name="Save").click()  # no name, no rules, no team
    expect(page.get_by_role("alert").first).to_be_visible()
    expect(page.get_by_label("Name", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#team_ids-error")).to_be_visible()
