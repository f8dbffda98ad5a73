from __future__ import annotations

import re
from pathlib import Path
from uuid import uuid4

from playwright.sync_api import APIResponse, Locator, Page, Route, expect

from leadstreams.domain.roles import Role
from leadstreams.services import leads
from leadstreams.services.auth import Principal
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

LIVE_TIMEOUT = 10_000


def _nordic_stream(live: Live, tag: str) -> int:
    """An active stream of its own (the e2e database is shared by every test)."""
    rules = {"all": [
        {"field": "tags", "op": "contains", "value": tag},
        {"field": "lead_score", "op": "gte", "value": 50},
        {"any": [
            {"field": "country", "op": "in", "value": ["SE", "NO", "DK"]},
            {"field": "company", "op": "contains", "value": "nordic"},
        ]},
    ]}  # fmt: skip
    return builders.stream(
        live.ctx,
        rules,
        team_ids=[live.team_id],
        name=f"Nordic hot leads {tag}",
        description="Engaged Nordic prospects with a lead score of 50 or more.",
    )


def _contact(live: Live, tag: str, first: str, last: str, company: str, score: int) -> None:
    email = f"{first.lower()}.{tag}@example.com"
    builders.contact(live.ctx, email, first_name=first, last_name=last, company=company,
                     country="SE", lead_score=score, tags=[tag])  # fmt: skip


def _column(page: Page, stage: str) -> Locator:
    return page.locator(f'[data-column="{stage}"]')


def _card(page: Page, name: str) -> Locator:
    return page.locator(".lead").filter(has=page.get_by_role("link", name=name))


def _stage_of(live: Live, name: str, stream_id: int) -> str:
    """The lead's stage as the services read it (an admin sees every lead)."""
    admin = Principal(0, "admin@example.com", "admin", Role.ADMIN, ())
    query = leads.LeadQuery(stream_id=stream_id, q=name.split()[0].lower())
    (lead,) = leads.list_leads(live.ctx, who=admin, query=query).items
    return str(lead.stage)


def test_a_lead_arrives_live_and_is_moved_by_drag_and_by_keyboard(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    tag = uuid4().hex[:8]
    stream_id = _nordic_stream(live, tag)
    _contact(live, tag, "Ada", "Lindqvist", "Nordic Analytics", 72)
    _contact(live, tag, "Björn", "Sund", "Fjord Systems", 64)
    _contact(live, tag, "Clara", "Holm", "Nordic Paper", 58)
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?stream={stream_id}")
    expect(_column(page, "mql").get_by_role("link", name="Ada Lindqvist")).to_be_visible()

    # A contact crosses the rules while the board is open: its card appears without a reload.
    _contact(live, tag, "Dagny", "Berg", "Nordic Freight", 91)
    dagny = _card(page, "Dagny Berg")
    expect(dagny).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(_column(page, "mql").locator(".lead").first).to_contain_text("Dagny Berg")

    # Drag and drop: MQL -> SQL.
    _card(page, "Ada Lindqvist").drag_to(_column(page, "sql"))
    expect(_column(page, "sql").get_by_role("link", name="Ada Lindqvist")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("Moved Ada Lindqvist to SQL.")
    assert _stage_of(live, "Ada Lindqvist", stream_id) == "sql"

    # The keyboard way: the card's "Move" menu, its "Move to" select and its button.
    clara = _card(page, "Clara Holm")
    clara.locator("summary").press("Enter")
    clara.get_by_label("Move to").select_option("opportunity")
    clara.get_by_role("button", name="Move").press("Enter")
    moved = _column(page, "opportunity").locator(".lead").filter(has_text="Clara Holm")
    expect(moved).to_be_visible()
    expect(moved.get_by_label("Move to")).to_be_focused()
    assert _stage_of(live, "Clara Holm", stream_id) == "opportunity"
    _card(page, "Björn Sund").locator("summary").click()
    _card(page, "Björn Sund").get_by_label("Move to").select_option("won")
    _card(page, "Björn Sund").get_by_role("button", name="Move").click()
    expect(_column(page, "won").get_by_role("link", name="Björn Sund")).to_be_visible()
    page.evaluate("document.activeElement.blur()")
    page.screenshot(path=screenshot_dir / "lead-board.png", full_page=True)

    # The cog of the "Lead streams" box opens the stream page.
    settings = page.get_by_role("link", name="Stream settings")
    expect(settings).to_have_attribute("href", "/streams")


def test_a_move_answered_after_the_live_feed_leaves_one_card(page: Page, live: Live) -> None:
    """The feed's refresh of a moved lead may land before the move's own answer."""
    tag = uuid4().hex[:8]
    stream_id = _nordic_stream(live, tag)
    _contact(live, tag, "Frida", "Ek", "Nordic Bakery", 80)
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?stream={stream_id}")
    expect(_card(page, "Frida Ek")).to_be_visible()

    held: list[tuple[Route, APIResponse]] = []

    def hold_the_answer(route: Route) -> None:
        held.append((route, route.fetch()))  # the server moves the lead; the page waits

    page.route("**/leads/*/stage", hold_the_answer)
    frida = _card(page, "Frida Ek")
    frida.locator("summary").click()
    frida.get_by_label("Move to").select_option("sql")
    frida.get_by_role("button", name="Move").click()
    expect(_column(page, "sql").get_by_role("link", name="Frida Ek")).to_be_visible(
        timeout=LIVE_TIMEOUT
    )
    for _ in range(100):
        if held:
            break
        page.wait_for_timeout(50)
    ((route, answer),) = held
    route.fulfill(response=answer)
    expect(page.get_by_role("status")).to_have_text("Moved Frida Ek to SQL.")
    expect(_card(page, "Frida Ek")).to_have_count(1)
    assert _stage_of(live, "Frida Ek", stream_id) == "sql"
    page.unroute("**/leads/*/stage")


def test_the_contact_card_says_why_the_lead_matched(
    page: Page, live: Live, screenshot_dir: Path
) -> None:
    tag = uuid4().hex[:8]
    stream_id = _nordic_stream(live, tag)
    _contact(live, tag, "Eira", "Nyström", "Fjord Analytics", 77)
    email = f"eira.{tag}@example.com"
    builders.event(live.ctx, email, "email_opened", properties={"campaign": "Spring launch"})
    builders.event(live.ctx, email, "page_visited", properties={"url": "/pricing"})
    builders.event(live.ctx, email, "form_submitted", properties={"form": "Contact us"})
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?stream={stream_id}")
    page.get_by_role("link", name="Eira Nyström").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Eira Nyström")
    lead = page.locator("#lead")
    expect(lead.get_by_role("heading", name=f"Nordic hot leads {tag}")).to_be_visible()
    expect(lead).to_contain_text("Engaged Nordic prospects")
    leaves = lead.locator(".cond", has_not=page.locator(".explain"))  # conditions, not groups
    expect(leaves.filter(has_text="lead score")).to_contain_text("value seen: 77")
    expect(leaves.filter(has_text="lead score")).to_have_class("cond held")
    expect(leaves.filter(has_text="company")).to_have_class("cond failed")

    page.get_by_role("button", name="Assign to me").click()
    page.get_by_label("New note").fill("Spoke on the phone: wants a demo next week.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator("#notes")).to_contain_text("wants a demo next week")
    expect(page.locator(".facts")).to_contain_text("sales")
    expect(page).to_have_url(re.compile(r"/leads/\d+#notes$"))
    expect(page.locator("#activity")).to_contain_text("Form submitted")
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshot_dir / "contact-card.png", full_page=True)
