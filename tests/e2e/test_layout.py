"""Layout at a phone's, a small laptop's and a desktop's width (issue 13, item 10): long names
without spaces never widen a page, the five columns fit at 1024 px, cards are compact.

With LEADSTREAMS_SCREENSHOTS=FOLDER the pages are saved there at each width."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from uuid import uuid4

import pytest
from playwright.sync_api import Browser, Page, expect

from leadstreams.domain.roles import Role
from leadstreams.services import leads
from leadstreams.services.auth import Principal
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

WIDTHS = (390, 1024, 1440)


@pytest.fixture(scope="module")
def long_names(live: Live) -> dict[str, str]:
    """A stream with a 200-character name without spaces, and a lead whose names are long."""
    tag = uuid4().hex[:8]
    stream = ("Stream" + tag + "X" * 200)[:200]
    rules = {"field": "tags", "op": "contains", "value": tag}
    stream_id = builders.stream(live.ctx, rules, team_ids=[live.team_id], name=stream)
    builders.contact(
        live.ctx, f"{'e' * 60}.{tag}@example.com", first_name="Wolfeschlegel" + "s" * 80,
        last_name=tag, company="Company" + "C" * 150, lead_score=88, tags=[tag],
    )  # fmt: skip
    builders.contact(live.ctx, f"ada.{tag}@example.com", first_name="Ada", last_name="Lind",
                     company="Nordic Paper", lead_score=64, tags=[tag])  # fmt: skip
    admin = Principal(0, "admin@example.com", "admin", Role.ADMIN, ())
    found = leads.list_leads(live.ctx, who=admin, query=leads.LeadQuery(stream_id=stream_id))
    (lead,) = [lead for lead in found.items if lead.contact.first_name != "Ada"]
    return {"stream_id": str(stream_id), "lead_id": str(lead.id), "tag": tag}


@pytest.fixture(params=WIDTHS, ids=[f"{w}px" for w in WIDTHS])
def sized(request: pytest.FixtureRequest, browser: Browser) -> Iterator[tuple[Page, int]]:
    width: int = request.param
    context = browser.new_context(viewport={"width": width, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Security Policy" in m.text else None)
    yield page, width
    context.close()
    assert not refused, refused


def _no_overflow(page: Page, what: str) -> None:
    widths = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    if widths[0] <= widths[1]:
        return
    widest = page.evaluate(  # what sticks out, to say in the failure
        "[...document.querySelectorAll('body *')]"
        ".filter((e) => e.getBoundingClientRect().right > document.documentElement.clientWidth)"
        ".slice(0, 5).map((e) => `${e.tagName}.${e.className} ${e.textContent.slice(0, 60)}`)"
    )
    raise AssertionError(f"{what}: the page is {widths[0]} px wide in {widths[1]} px: {widest}")


def test_no_page_is_wider_than_the_window(
    sized: tuple[Page, int], live: Live, long_names: dict[str, str], screenshot_dir: Path
) -> None:
    page, width = sized
    log_in(page, live, "admin@example.com")
    stream_id, lead_id = long_names["stream_id"], long_names["lead_id"]
    pages = {
        "board": "/leads",
        "board-of-stream": f"/leads?stream={stream_id}",
        "streams": "/streams",
        "stream": f"/streams/{stream_id}",
        "lead": f"/leads/{lead_id}",
        "reports": "/reports",
    }
    for name, path in pages.items():
        page.goto(f"{live.url}{path}")
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        _no_overflow(page, f"{name} at {width} px")
        page.screenshot(path=screenshot_dir / f"layout-{name}-{width}.png", full_page=True)


def test_five_columns_of_compact_cards_fit_a_laptop(
    sized: tuple[Page, int], live: Live, long_names: dict[str, str]
) -> None:
    page, width = sized
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads?stream={long_names['stream_id']}")
    card = page.locator(".lead").filter(has=page.get_by_role("link", name="Ada Lind"))
    expect(card).to_be_visible()
    if width >= 1024:  # every column in view, none cut off
        board = page.evaluate(
            "(() => { const b = document.querySelector('.board');"
            " return [b.scrollWidth, b.clientWidth]; })()"
        )
        assert board[0] <= board[1], board
        last = page.locator('[data-column="lost"]').bounding_box()
        assert last is not None and last["x"] + last["width"] <= width
    box = card.bounding_box()
    assert box is not None and box["height"] <= 150, box  # compact: many cards per column
    expect(card.locator(".score")).to_have_text("Score 64")
    expect(card.get_by_label("Move to")).to_be_hidden()  # in its menu until asked for
    card.locator("summary").click()
    expect(card.get_by_label("Move to")).to_be_visible()
    expect(page.locator('[data-column="mql"] .column-count')).to_have_text("2")


def test_the_app_serves_a_favicon(page: Page, live: Live) -> None:
    answer = page.request.get(f"{live.url}/favicon.ico")
    assert answer.ok and answer.headers["content-type"].startswith("image/svg+xml")
    log_in(page, live, "sales@example.com")
    icon = page.locator("link[rel=icon]")
    expect(icon).to_have_attribute("href", "/static/favicon.svg")
