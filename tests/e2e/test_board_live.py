"""What an open board hears (issue 13, items 1 and 3): every change that alters what it shows,
made by someone else, reaches it without a reload; a big fetch does not flood it."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from uuid import uuid4

from playwright.sync_api import Locator, Page, Request, expect

from leadstreams.domain.roles import Role
from leadstreams.schemas.leads import LeadUpdate
from leadstreams.schemas.streams import StreamUpdate
from leadstreams.services import fetch_history, leads, streams
from leadstreams.services.auth import Principal
from tests.e2e.conftest import Live
from tests.e2e.test_login import log_in
from tests.support import builders

LIVE = 10_000


@dataclass
class World:
    tag: str
    stream_id: int
    stream_name: str
    boss: Principal  # an admin, working from another browser (the services, here)


def _world(live: Live, *names: str) -> World:
    """An active stream of the Nordics team, with a lead per name; an admin to act."""
    tag = uuid4().hex[:8]
    name = f"Live board {tag}"
    rules = {"field": "tags", "op": "contains", "value": tag}
    stream_id = builders.stream(live.ctx, rules, team_ids=[live.team_id], name=name)
    for first in names:
        _lead(live, tag, first)
    boss_id = builders.user(live.ctx, f"boss-{tag}@example.com", role="admin")
    boss = Principal(boss_id, f"boss-{tag}@example.com", f"boss-{tag}", Role.ADMIN, ())
    return World(tag, stream_id, name, boss)


def _lead(live: Live, tag: str, first: str) -> None:
    builders.contact(live.ctx, f"{first.lower()}.{tag}@example.com", first_name=first,
                     last_name=tag, company="Nordic Paper", lead_score=60, tags=[tag])  # fmt: skip


def _lead_id(live: Live, world: World, first: str) -> int:
    query = leads.LeadQuery(stream_id=world.stream_id, q=f"{first.lower()}.{world.tag}")
    (lead,) = leads.list_leads(live.ctx, who=world.boss, query=query).items
    return lead.id


def _card(page: Page, world: World, first: str) -> Locator:
    name = f"{first} {world.tag}"
    return page.locator(".lead").filter(has=page.get_by_role("link", name=name, exact=True))


def _box_row(page: Page, world: World) -> Locator:
    box = page.get_by_role("region", name="Lead streams")
    return box.get_by_role("listitem").filter(has=page.get_by_role("link", name=world.stream_name))


def _open_board(page: Page, live: Live, world: World, *firsts: str) -> None:
    log_in(page, live, "sales@example.com")
    page.goto(f"{live.url}/leads")
    for first in firsts:
        expect(_card(page, world, first)).to_be_visible()
    page.wait_for_timeout(700)  # the live feed connects


def test_switching_off_and_clearing_a_stream_reach_an_open_board(page: Page, live: Live) -> None:
    world = _world(live, "Ada", "Bo")
    _open_board(page, live, world, "Ada", "Bo")
    ada = _lead_id(live, world, "Ada")
    expect(_box_row(page, world)).to_contain_text("2 leads")
    expect(_box_row(page, world)).to_contain_text("Active")

    streams.set_active(live.ctx, stream_id=world.stream_id, active=False, user_id=world.boss.id)
    expect(_box_row(page, world)).to_contain_text("Inactive", timeout=LIVE)

    fetch_history.clear_stream(live.ctx, stream_id=world.stream_id, user_id=world.boss.id)
    expect(_card(page, world, "Ada")).to_have_count(0, timeout=LIVE)
    expect(_card(page, world, "Bo")).to_have_count(0)
    expect(_box_row(page, world)).to_contain_text("0 leads", timeout=LIVE)

    # The lead's own page says how it left, not "Not found".
    answer = page.goto(f"{live.url}/leads/{ada}")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("This lead left the board")
    expect(page.get_by_role("alert")).to_contain_text(
        re.compile(
            rf"Cleared from the stream “{world.stream_name}” by boss-{world.tag} at \d{{4}}-"
        )
    )


def test_hiding_and_moving_by_someone_else_reach_an_open_board(page: Page, live: Live) -> None:
    world = _world(live, "Cleo", "Dan")
    _open_board(page, live, world, "Cleo", "Dan")
    cleo, dan = _lead_id(live, world, "Cleo"), _lead_id(live, world, "Dan")

    leads.update_lead(live.ctx, who=world.boss, lead_id=cleo, data=LeadUpdate(hidden=True))
    expect(_card(page, world, "Cleo")).to_have_count(0, timeout=LIVE)

    leads.update_lead(live.ctx, who=world.boss, lead_id=dan, data=LeadUpdate(stage="sql"))
    sql = page.locator('[data-column="sql"]')
    expect(sql.get_by_role("link", name=f"Dan {world.tag}")).to_be_visible(timeout=LIVE)
    expect(
        page.locator('[data-column="mql"]').get_by_role("link", name=f"Dan {world.tag}")
    ).to_have_count(0)

    leads.update_lead(live.ctx, who=world.boss, lead_id=cleo, data=LeadUpdate(hidden=False))
    expect(_card(page, world, "Cleo")).to_be_visible(timeout=LIVE)


def test_a_lead_that_leaves_the_team_leaves_its_board_and_says_why(page: Page, live: Live) -> None:
    world = _world(live, "Eva")
    _open_board(page, live, world, "Eva")
    eva = _lead_id(live, world, "Eva")
    streams.update_stream(
        live.ctx, stream_id=world.stream_id, data=StreamUpdate(team_ids=[live.other_team_id]),
        user_id=world.boss.id,
    )  # fmt: skip
    expect(_card(page, world, "Eva")).to_have_count(0, timeout=LIVE)
    expect(_box_row(page, world)).to_have_count(0, timeout=LIVE)
    page.goto(f"{live.url}/leads/{eva}")
    expect(page.get_by_role("alert")).to_contain_text(
        f"The stream “{world.stream_name}” stopped delivering to your team"
    )


def test_a_move_of_a_card_cleared_meanwhile_says_how_it_left(page: Page, live: Live) -> None:
    """The feed may not have told the board yet: the move's answer does."""
    world = _world(live, "Finn")
    log_in(page, live, "sales@example.com")
    page.route("**/live/leads*", lambda route: route.abort())  # this board hears nothing
    page.goto(f"{live.url}/leads")
    finn, finn_id = _card(page, world, "Finn"), _lead_id(live, world, "Finn")
    expect(finn).to_be_visible()
    streams.set_active(live.ctx, stream_id=world.stream_id, active=False, user_id=world.boss.id)
    fetch_history.clear_stream(live.ctx, stream_id=world.stream_id, user_id=world.boss.id)
    finn.locator("summary").click()
    finn.get_by_label("Move to").select_option("sql")
    finn.get_by_role("button", name="Move").click()
    expect(page.get_by_role("status")).to_contain_text(
        f"Could not move Finn {world.tag}: lead {finn_id} left the board: cleared from the stream"
        f" “{world.stream_name}” by boss-{world.tag}"
    )
    expect(finn).to_have_count(0)


def test_a_big_fetch_costs_an_open_board_a_few_requests_and_keeps_its_columns(
    page: Page, live: Live
) -> None:
    world = _world(live, "Gus")
    streams.set_active(live.ctx, stream_id=world.stream_id, active=False, user_id=None)
    for n in range(60):
        _lead(live, world.tag, f"Many{n:02d}")  # not leads yet: the stream is off
    _open_board(page, live, world, "Gus")
    page.goto(f"{live.url}/leads?stream={world.stream_id}")
    expect(_card(page, world, "Gus")).to_be_visible()
    page.wait_for_timeout(700)
    asked: list[str] = []

    def count(request: Request) -> None:
        if "/leads" in request.url and "/live/" not in request.url:
            asked.append(request.url)

    page.on("request", count)
    streams.set_active(live.ctx, stream_id=world.stream_id, active=True, user_id=None)
    fetch_history.start_fetch_history(live.ctx, stream_id=world.stream_id, user_id=None)
    news = page.locator("#board-news")
    mql = page.locator('[data-column="mql"]')
    expect(news).to_contain_text("new leads", timeout=LIVE * 2)
    # The first few may come as cards before the rest (by design): together, all 60, and
    # most of them behind "show".
    deadline = time.monotonic() + LIVE * 2 / 1000
    while True:
        said = re.search(r"([\d,]+) new leads", news.inner_text())
        waiting = int(said.group(1).replace(",", "")) if said else 0
        shown = mql.locator(".lead").count() - 1  # Gus was there before
        if waiting + shown == 60 or time.monotonic() > deadline:
            break
        page.wait_for_timeout(200)
    assert (waiting + shown, waiting > 25) == (60, True), (waiting, shown)
    page.wait_for_timeout(1500)
    assert len(asked) <= 6, asked  # not one request per lead
    news.get_by_role("button", name="show").click()
    expect(news).to_be_hidden()
    expect(mql.locator(".lead")).to_have_count(25)  # a column keeps its limit
    expect(mql.locator(".column-count")).to_have_text("25 of 61")
    expect(mql.get_by_role("button", name="Show more")).to_be_visible()

    # A few at once arrive as cards at the top, and push the oldest out of the column.
    for first in ("Late", "Later"):
        _lead(live, world.tag, first)
    expect(mql.locator(".lead").first).to_contain_text(f"Later {world.tag}", timeout=LIVE)
    expect(mql.locator(".lead")).to_have_count(25)
    expect(mql.locator(".column-count")).to_have_text("25 of 63")
    mql.get_by_role("button", name="Show more").click()
    expect(mql.locator(".lead")).to_have_count(50)
    expect(mql.locator(".lead").filter(has_text="Gus")).to_have_count(0)
    mql.get_by_role("button", name="Show more").click()
    expect(mql.locator(".lead")).to_have_count(63)  # every lead once, none lost by the trim
    expect(mql.locator(".column-count")).to_have_text("63")
