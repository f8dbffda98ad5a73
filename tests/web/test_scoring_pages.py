"""The Scoring page and the score on the contact pages: defaults installed and switched on,
rules added with the rule editor's form (errors by field), the preview's histogram, and the
contact's score chart with the rules giving points now."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from leadstreams.services import scoring
from leadstreams.services.context import Context
from leadstreams.worker import run_pending_jobs
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _browser(api: Api, email: str) -> tuple[TestClient, str]:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": PASSWORD})
    assert answer.status_code == 303
    token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/scoring").text)
    assert token is not None
    return browser, token.group(1)


def test_only_admins_and_marketing_see_the_scoring_page(api: Api) -> None:
    for email, status in (("admin@example.com", 200), ("marketing@example.com", 200)):
        browser = TestClient(api.anonymous.app, follow_redirects=False)
        post_login(browser, {"email": email, "password": PASSWORD})
        page = browser.get("/scoring")
        assert page.status_code == status
        assert 'href="/scoring"' in page.text  # in the menu
    sales = TestClient(api.anonymous.app, follow_redirects=False)
    post_login(sales, {"email": "sales@example.com", "password": PASSWORD})
    assert sales.get("/scoring").status_code == 403
    assert 'href="/scoring"' not in sales.get("/leads").text


def test_install_switch_on_add_a_rule_and_preview(ctx: Context, api: Api) -> None:
    browser, token = _browser(api, "marketing@example.com")
    builders.contact(ctx, "ann@example.com", first_name="Ann", title="CTO")
    answer = browser.post("/scoring/install-defaults", data={"csrf_token": token})
    assert answer.status_code == 303
    page = browser.get("/scoring").text
    assert "Engagement" in page and "Persona" in page and "Installed Engagement, Persona" in page
    persona = next(s for s in scoring.list_sets(ctx) if s.name == "Persona")
    detail = browser.get(f"/scoring/{persona.id}").text
    assert "First name is set" in detail  # each rule read back in plain English
    assert "imported score" in detail  # said before the first set is switched on
    switched = browser.post(f"/scoring/{persona.id}/activate", data={"csrf_token": token})
    assert switched.status_code == 303
    assert run_pending_jobs(ctx) == 1
    rule = {"field": "city", "op": "eq", "value": "Oslo"}
    form = {"csrf_token": token, "name": "Oslo", "points": "7", "criteria": json.dumps(rule)}
    saved = browser.post(f"/scoring/{persona.id}/rules", data=form)
    assert saved.status_code == 303
    assert [r.points for r in scoring.get_set(ctx, set_id=persona.id).rules][-1] == 7
    bad = {**form, "points": "0", "criteria": json.dumps({"field": "citty", "op": "eq"})}
    refused = browser.post(f"/scoring/{persona.id}/rules", data=bad)
    assert refused.status_code == 422
    assert "points must not be zero" in refused.text
    assert 'data-path="rules.field"' in refused.text
    assert "There is no such field: choose one from the list. Did you mean “City”?" in (
        refused.text
    )  # the rule editor's words (issue 13, item 6)
    assert len(scoring.get_set(ctx, set_id=persona.id).rules) == 7
    preview = browser.get(f"/scoring/{persona.id}/preview").text
    assert "<rect" in preview
    assert "<strong>1</strong> contact gets +2 from First name filled" in preview


def test_the_contact_pages_show_the_score_chart_and_the_rules_giving_points(
    ctx: Context, api: Api
) -> None:
    team_id = api.team_id
    builders.stream(ctx, {"field": "lead_score", "op": "gte", "value": 15}, team_ids=[team_id])
    made = scoring.install_defaults(ctx, user_id=None)
    scoring.set_active(ctx, set_id=made[0].id, active=True, user_id=None)
    contact_id = builders.contact(ctx, "bo@example.com")
    recorded = builders.event(ctx, "bo@example.com", "form_submitted")
    [match] = recorded.matches
    browser, _ = _browser(api, "marketing@example.com")
    for path in (f"/contacts/{contact_id}", f"/leads/{match.lead_id}"):
        page = browser.get(path).text
        assert "<polyline" in page, path
        assert "Submitted any form" in page and "until 2026-05-30 09:00 UTC" in page
