"""The Reports page: who sees it, and what it says of a stream's and a team's leads."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _browser(api: Api, email: str) -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    assert post_login(browser, {"email": email, "password": PASSWORD}).status_code == 303
    return browser


def test_only_admins_and_marketing_see_the_reports(api: Api) -> None:
    for email in ("admin@example.com", "marketing@example.com"):
        page = _browser(api, email).get("/reports")
        assert page.status_code == 200
        assert 'href="/reports"' in page.text  # in the menu
    sales = _browser(api, "sales@example.com")
    assert sales.get("/reports").status_code == 403
    assert 'href="/reports"' not in sales.get("/leads").text


def _section(page: str, name: str) -> str:
    match = re.search(rf"<h2 [^>]*>{re.escape(name)}</h2>(.*?)</section>", page, re.S)
    assert match, f"no section for {name}"
    return match.group(1)


def _funnel(section: str) -> dict[str, str]:
    rows = re.findall(r"<tr><td>([^<]+)</td><td>(\d+)</td><td>([^<]+)</td></tr>", section)
    return {stage: f"{n} {share}" for stage, n, share in rows}


def test_a_streams_leads_funnel_and_first_move(ctx: Context, api: Api) -> None:
    rules = {"all": [{"field": "country", "op": "eq", "value": "SE"}]}
    builders.stream(ctx, rules, team_ids=[api.team_id], name="Swedes")
    for email in ("ann@example.se", "bo@example.se", "cy@example.se", "di@example.se"):
        builders.contact(ctx, email, country="SE")
    leads = api.admin.get("/api/v1/leads").json()["items"]
    assert len(leads) == 4
    ctx.clock.advance(hours=2)  # type: ignore[attr-defined]
    api.sales.patch(f"/api/v1/leads/{leads[0]['id']}", json={"stage": "sql"})
    ctx.clock.advance(hours=2)  # type: ignore[attr-defined]
    api.sales.patch(f"/api/v1/leads/{leads[1]['id']}", json={"stage": "won"})
    api.admin.post("/api/v1/lost-reasons", json={"label": "No budget"})
    lost = {"stage": "lost", "lost_reason": "No budget: next year"}
    assert api.sales.patch(f"/api/v1/leads/{leads[0]['id']}", json=lost).status_code == 200

    page = _browser(api, "marketing@example.com").get("/reports?by=stream&days=30").text
    swedes = _section(page, "Swedes")
    assert _funnel(swedes) == {
        "Leads": "4 100%",
        "Reached SQL": "2 50%",  # sql, and won (which passed it)
        "Reached Opportunity": "1 25%",
        "Won": "1 25%",
        "Lost": "1 25%",
    }
    assert "Median time to a first move: <strong>3 h 0 min</strong>" in swedes  # of 2 h and 4 h
    assert 'aria-label="4 leads over 5 weeks, at most 4 in a week"' in swedes
    assert re.findall(r"<li>([^<]+) <span class=\"muted\">\((\d+)\)", swedes) == [
        ("No budget", "1")
    ]

    by_team = _browser(api, "admin@example.com").get("/reports?by=team&days=30").text
    assert _funnel(_section(by_team, "Nordics"))["Leads"] == "4 100%"
    assert _funnel(_section(by_team, "DACH"))["Leads"] == "0 –"
    assert "no lead moved yet" in _section(by_team, "DACH")


def test_a_report_asked_for_what_it_does_not_offer_shows_the_default(api: Api) -> None:
    page = _browser(api, "admin@example.com").get("/reports?days=7&by=contact")
    assert page.status_code == 200
    assert '<option value="90" selected>' in page.text
    assert '<option value="stream" selected>' in page.text
