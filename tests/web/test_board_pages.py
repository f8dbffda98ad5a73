from __future__ import annotations

import re
import urllib.parse

from fastapi.testclient import TestClient

from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login

HOT = {"field": "lead_score", "op": "gte", "value": 50}


def _browser(api: Api, email: str = "sales@example.com") -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": PASSWORD})
    assert answer.status_code == 303
    return browser


def _token(page: str) -> str:
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _lead_ids(page: str) -> list[int]:
    return [int(found) for found in re.findall(r'data-lead-id="(\d+)"', page)]


def _lead_of(api: Api, email: str) -> int:
    items = api.admin.get("/api/v1/leads", params={"q": email, "hidden": "all"}).json()["items"]
    return int(items[0]["id"])


def _two_teams(ctx: Context, api: Api) -> tuple[int, int]:
    """A hot lead for Nordics (sales@) and one for DACH (other@)."""
    builders.stream(ctx, HOT, team_ids=[api.team_id], name="Nordics hot")
    builders.stream(ctx, {"field": "city", "op": "eq", "value": "Berlin"},
                    team_ids=[api.other_team_id], name="Berlin")  # fmt: skip
    builders.contact(ctx, "ada@example.com", first_name="Ada", last_name="Lovelace",
                     company="Analytical", lead_score=70)  # fmt: skip
    builders.contact(ctx, "hans@example.com", first_name="Hans", city="Berlin")
    return _lead_of(api, "ada@example.com"), _lead_of(api, "hans@example.com")


def test_the_board_shows_the_stage_columns_and_only_the_leads_of_my_teams(
    ctx: Context, api: Api
) -> None:
    ada, hans = _two_teams(ctx, api)
    page = _browser(api).get("/leads").text
    for label in ("MQL", "SQL", "Opportunity", "Won", "Lost / No opportunity"):
        assert 'class="column-name" id="col-' in page and f">{label}</span>" in page
    assert ">Lead streams</h2>" in page
    assert _lead_ids(page) == [ada]
    assert "Ada Lovelace" in page and "Analytical" in page and "Nordics hot" in page
    assert 'aria-label="Stream settings"' in page and 'href="/streams"' in page
    assert _lead_ids(_browser(api, "other@example.com").get("/leads").text) == [hans]
    assert sorted(_lead_ids(_browser(api, "admin@example.com").get("/leads").text)) == [ada, hans]


def test_an_empty_board_says_how_to_get_leads(api: Api) -> None:
    page = _browser(api).get("/leads").text
    assert "No leads yet — activate a stream or fetch history." in page


def test_the_filters_narrow_the_board_and_live_in_the_url(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, HOT, team_ids=[api.team_id], name="Hot")
    builders.contact(ctx, "a@example.com", company="Acme", lead_score=60, tags=["vip"])
    builders.contact(ctx, "b@example.com", company="Bolt", lead_score=60, category="customer")
    a, b = _lead_of(api, "a@example.com"), _lead_of(api, "b@example.com")
    browser = _browser(api)

    def shown(**params: str) -> list[int]:
        return sorted(_lead_ids(browser.get("/leads", params=params).text))

    assert shown() == sorted([a, b])
    assert shown(q="acme") == [a]
    assert shown(tag="vip") == [a]
    assert shown(category="customer") == [b]
    assert shown(stream=str(stream_id), team=str(api.team_id)) == sorted([a, b])
    assert shown(created_from="2026-03-02") == []
    assert shown(created_to="2026-03-01") == sorted([a, b])
    assert shown(assignee="me") == []
    api.sales.patch(f"/api/v1/leads/{a}", json={"assignee_id": api.sales_id, "hidden": True})
    assert shown() == [b]
    assert shown(hidden="1", assignee="me") == [a]
    assert shown(hidden="1", assignee="none") == [b]
    assert "No leads match these filters." in browser.get("/leads?q=nobody").text


def test_a_column_shows_25_leads_and_show_more_brings_the_next_page(ctx: Context, api: Api) -> None:
    builders.stream(ctx, HOT, team_ids=[api.team_id])
    for n in range(30):
        builders.contact(ctx, f"c{n}@example.com", lead_score=50 + n, company="Many")
    browser = _browser(api)
    page = browser.get("/leads?q=many").text
    first = _lead_ids(page)
    assert len(first) == 25
    more = re.search(r'hx-get="(/leads/column\?[^"]+)"', page)
    assert more is not None
    next_page = browser.get(more.group(1).replace("&amp;", "&")).text
    rest = _lead_ids(next_page)
    assert len(rest) == 5 and not set(rest) & set(first)
    assert "Show more" not in next_page


def test_moving_a_card_changes_its_stage_and_needs_the_csrf_token(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    browser = _browser(api)
    token = _token(browser.get("/leads").text)
    refused = browser.post(f"/leads/{ada}/stage", data={"stage": "sql"})
    assert refused.status_code == 403
    assert api.sales.get(f"/api/v1/leads/{ada}").json()["stage"] == "mql"

    moved = browser.post(
        f"/leads/{ada}/stage",
        data={"stage": "sql"},
        headers={"X-CSRF-Token": token, "HX-Request": "true"},
    )
    assert moved.status_code == 200
    assert f'data-lead-id="{ada}" data-stage="sql"' in moved.text
    assert api.sales.get(f"/api/v1/leads/{ada}").json()["stage"] == "sql"

    by_form = browser.post(
        f"/leads/{ada}/stage", data={"stage": "opportunity", "csrf_token": token, "next": "/leads"}
    )
    assert (by_form.status_code, by_form.headers["location"]) == (303, "/leads")
    assert api.sales.get(f"/api/v1/leads/{ada}").json()["stage"] == "opportunity"


def test_a_card_alone_answers_204_when_the_board_would_not_show_it(ctx: Context, api: Api) -> None:
    ada, hans = _two_teams(ctx, api)
    browser = _browser(api)
    assert 'data-stage="mql"' in browser.get(f"/leads/{ada}/card").text
    assert browser.get(f"/leads/{ada}/card?q=nobody").status_code == 204
    assert browser.get(f"/leads/{hans}/card").status_code == 204  # another team's lead


def test_the_live_batch_answers_the_cards_this_board_shows_and_the_columns_totals(
    ctx: Context, api: Api
) -> None:
    ada, hans = _two_teams(ctx, api)
    builders.contact(ctx, "bea@example.com", first_name="Bea", lead_score=80)
    bea = _lead_of(api, "bea@example.com")
    browser = _browser(api)
    answer = browser.get("/leads/cards", params={"id": [ada, hans, bea]})
    assert sorted(_lead_ids(answer.text)) == [ada, bea]  # not the other team's lead
    assert """data-totals='{"mql": 2}'""" in answer.text
    narrowed = browser.get("/leads/cards", params={"id": [ada, bea], "q": "bea"})
    assert _lead_ids(narrowed.text) == [bea]  # with the board's filters
    assert """data-totals='{"mql": 1}'""" in narrowed.text
    assert browser.get("/leads/cards", params={"id": list(range(1, 102))}).status_code == 422


def test_the_contact_card_explains_why_the_lead_matched(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    page = _browser(api).get(f"/leads/{ada}").text
    assert "Why this is a lead" in page and "Nordics hot" in page
    assert "lead score is at least 50" in page.lower()
    assert "value seen: <strong>70</strong>" in page
    assert 'class="cond held"' in page
    for section in ("Activity", "Contact details", "Notes", "Stage history"):
        assert section in page


def test_the_contact_card_pages_its_activity_newest_first(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    for n in range(25):
        builders.event(ctx, "ada@example.com", "page_viewed", event_id=f"view-{n}")
    browser = _browser(api)
    card = browser.get(f"/leads/{ada}").text
    before = re.findall(rf"/leads/{ada}/timeline\?before=([^\"]+)", card)
    assert len(before) == 1 and card.count('class="event"') == 20
    cursor = urllib.parse.unquote(before[0])
    older = browser.get(f"/leads/{ada}/timeline", params={"before": cursor}).text
    assert older.count('class="event"') == 5 and "Show older activity" not in older
    assert "Page viewed" in older


def test_notes_are_added_from_the_contact_card(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    browser = _browser(api)
    token = _token(browser.get(f"/leads/{ada}").text)
    assert browser.post(f"/leads/{ada}/notes", data={"text": "Call on Monday"}).status_code == 403
    added = browser.post(
        f"/leads/{ada}/notes", data={"text": "Call on Monday", "csrf_token": token}
    )
    assert (added.status_code, added.headers["location"]) == (303, f"/leads/{ada}#notes")
    assert "Call on Monday" in browser.get(f"/leads/{ada}").text


def test_a_lead_is_assigned_only_to_an_active_user(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    gone = builders.user(ctx, "gone@example.com", team_ids=[api.team_id])
    assert api.admin.patch(f"/api/v1/users/{gone}", json={"active": False}).status_code == 200
    for user_id in (gone, 999_999):
        refused = api.sales.patch(f"/api/v1/leads/{ada}", json={"assignee_id": user_id})
        assert refused.status_code == 422, user_id
        assert refused.json()["error"]["details"][0]["path"] == "assignee_id"
    assert api.sales.get(f"/api/v1/leads/{ada}").json()["assignee_id"] is None


def test_the_contact_card_assigns_hides_and_sets_the_category(ctx: Context, api: Api) -> None:
    ada, _ = _two_teams(ctx, api)
    browser = _browser(api)
    token = _token(browser.get(f"/leads/{ada}").text)
    browser.post(f"/leads/{ada}/assign", data={"assignee": "me", "csrf_token": token})
    browser.post(f"/leads/{ada}/hidden", data={"hidden": "true", "csrf_token": token})
    browser.post(f"/leads/{ada}/category", data={"category": "customer", "csrf_token": token})
    lead = api.sales.get(f"/api/v1/leads/{ada}").json()
    assert (lead["assignee_id"], lead["hidden"]) == (api.sales_id, True)
    assert lead["contact"]["category"] == "customer"
    page = browser.get(f"/leads/{ada}").text
    assert "Unhide lead" in page and "Hidden" in page


def test_a_sales_user_gets_404_for_another_teams_lead(ctx: Context, api: Api) -> None:
    _, hans = _two_teams(ctx, api)
    browser = _browser(api)
    assert browser.get(f"/leads/{hans}").status_code == 404
    token = _token(browser.get("/leads").text)
    moved = browser.post(f"/leads/{hans}/stage", data={"stage": "sql", "csrf_token": token})
    assert moved.status_code == 404


def test_the_board_and_card_escape_what_contacts_carry(ctx: Context, api: Api) -> None:
    builders.stream(ctx, HOT, team_ids=[api.team_id])
    builders.contact(ctx, "x@example.com", first_name="<script>alert(1)</script>",
                     company="<b>Evil</b>", lead_score=90)  # fmt: skip
    lead = _lead_of(api, "x@example.com")
    browser = _browser(api)
    for page in (browser.get("/leads").text, browser.get(f"/leads/{lead}").text):
        assert "<script>alert(1)</script>" not in page and "<b>Evil</b>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_live_feed_of_the_pages_needs_a_session_and_sends_my_changes(
    ctx: Context, api: Api
) -> None:
    ctx.settings.feed_seconds = 0.6
    assert (
        TestClient(api.anonymous.app, follow_redirects=False).get("/live/leads").status_code == 303
    )
    ada, _ = _two_teams(ctx, api)
    with _browser(api).stream("GET", "/live/leads?after=0") as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        body = "".join(answer.iter_text())
    assert "event: lead.created" in body
    assert f'"lead_id": {ada}' in body
    assert body.count("event: lead.created") == 1  # not the other team's lead


def test_a_bulk_action_checks_each_lead_as_the_single_action_does(ctx: Context, api: Api) -> None:
    ada, hans = _two_teams(ctx, api)
    builders.contact(ctx, "bea@example.com", first_name="Bea", lead_score=80)
    bea = _lead_of(api, "bea@example.com")
    browser = _browser(api)
    token = _token(browser.get("/leads").text)
    headers = {"HX-Request": "true"}

    def bulk(**form: object) -> str:
        answer = browser.post("/leads/bulk", data={"csrf_token": token, **form}, headers=headers)
        assert answer.status_code == 200, answer.text
        return answer.text

    # Another team's lead is refused as the single move refuses it; the others move.
    moved = bulk(lead=[ada, hans, bea], action="move", stage="sql")
    assert "Moved 2 leads to SQL." in moved and f"Lead {hans}: no lead with id {hans}" in moved
    assert [api.admin.get(f"/api/v1/leads/{i}").json()["stage"] for i in (ada, hans, bea)] == [
        "sql", "mql", "sql",
    ]  # fmt: skip
    # A seller may assign only members of the lead's teams.
    other_id = api.admin.get("/api/v1/users").json()
    other = next(u["id"] for u in other_id if u["email"] == "other@example.com")
    refused = bulk(lead=[ada], action="assign", assignee=str(other))
    assert "Assigned 0 leads." in refused and "choose a member of the lead" in refused
    assert "Assigned 2 leads." in bulk(lead=[ada, bea], action="assign", assignee="me")
    assert api.admin.get(f"/api/v1/leads/{bea}").json()["assignee_id"] == api.sales_id
    assert "Hid 1 lead." in bulk(lead=[bea], action="hide")
    assert api.admin.get(f"/api/v1/leads/{bea}").json()["hidden"] is True
    # Bad input names its field; no token, no change.
    too_many = browser.post("/leads/bulk", data={"csrf_token": token, "lead": list(range(1, 102)),
                                                 "action": "hide"}, headers=headers)  # fmt: skip
    assert too_many.status_code == 422 and "lead" in too_many.text
    no_stage = browser.post("/leads/bulk", data={"csrf_token": token, "lead": [ada],
                                                 "action": "move"}, headers=headers)  # fmt: skip
    assert no_stage.status_code == 422 and "stage" in no_stage.text
    forged = browser.post("/leads/bulk", data={"lead": [hans], "action": "hide"}, headers=headers)
    assert forged.status_code == 403
    # Lost needs its reason, as a single move to Lost does.
    unexplained = browser.post("/leads/bulk", data={"csrf_token": token, "lead": [ada],
                                                    "action": "move", "stage": "lost"},
                               headers=headers)  # fmt: skip
    assert unexplained.status_code == 422 and "lost_reason" in unexplained.text
    assert "Moved 1 lead to Lost / No opportunity." in bulk(
        lead=[ada], action="move", stage="lost", lost_reason_detail="went with a rival"
    )
    assert api.admin.get(f"/api/v1/leads/{ada}").json()["lost_reason"] == "went with a rival"


def _stream_counts(html: str) -> dict[str, str]:
    found = re.findall(r'title="[^"]*">([^<]+)</a>\s*<span class="stream-count">([^<]+)<', html)
    return dict(found)


def test_the_streams_box_alone_counts_the_leads_as_they_arrive(ctx: Context, api: Api) -> None:
    _two_teams(ctx, api)
    browser = _browser(api)
    box = browser.get("/leads/streams")
    assert box.status_code == 200
    assert 'id="streams-list"' in box.text and 'class="column"' not in box.text
    assert _stream_counts(box.text) == {"Nordics hot": "1 lead"}  # not DACH's Berlin stream
    assert _stream_counts(browser.get("/leads").text) == {"Nordics hot": "1 lead"}
    builders.contact(ctx, "bea@example.com", first_name="Bea", lead_score=80)
    # counted again at once: a new lead's outbox row says the count it kept is old
    assert _stream_counts(browser.get("/leads/streams").text) == {"Nordics hot": "2 leads"}
    anonymous = TestClient(api.anonymous.app, follow_redirects=False)
    assert anonymous.get("/leads/streams").headers["location"] == "/login?next=/leads/streams"
