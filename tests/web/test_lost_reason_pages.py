"""Lost with a reason through the pages: a move to Lost from a page needs its reason (the
list's choice, words, or both); only admins keep the list."""

from __future__ import annotations

from fastapi.testclient import TestClient

from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _browser(api: Api, email: str) -> tuple[TestClient, str]:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    assert post_login(browser, {"email": email, "password": PASSWORD}).status_code == 303
    page = browser.get("/leads").text
    return browser, page.split('name="csrf_token" value="')[1].split('"')[0]


def test_a_move_to_lost_from_a_page_needs_a_reason_and_keeps_both_parts(
    ctx: Context, api: Api
) -> None:
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    builders.contact(ctx, "ada@example.com", lead_score=70)
    (lead,) = api.sales.get("/api/v1/leads").json()["items"]
    browser, token = _browser(api, "sales@example.com")
    form = {"csrf_token": token, "stage": "lost"}
    refused = browser.post(f"/leads/{lead['id']}/stage", data=form | {"lost_reason_detail": " "})
    assert refused.status_code == 422
    assert "Choose why the lead is lost, or say it in words." in refused.text
    assert api.sales.get(f"/api/v1/leads/{lead['id']}").json()["stage"] == "mql"
    reason = {"lost_reason_choice": "No budget", "lost_reason_detail": "next year"}
    moved = browser.post(f"/leads/{lead['id']}/stage", data=form | reason)
    assert moved.status_code == 303
    assert api.sales.get(f"/api/v1/leads/{lead['id']}").json()["lost_reason"] == (
        "No budget: next year"
    )
    assert "Lost because" in browser.get(f"/leads/{lead['id']}").text


def test_only_admins_keep_the_list_and_everyone_who_works_leads_gets_the_dialog(
    api: Api,
) -> None:
    admin, token = _browser(api, "admin@example.com")
    added = admin.post("/lost-reasons", data={"csrf_token": token, "label": "No <b>budget</b>"})
    assert added.status_code == 303
    assert "No &lt;b&gt;budget&lt;/b&gt;" in admin.get("/lost-reasons").text
    empty = admin.post("/lost-reasons", data={"csrf_token": token, "label": ""})
    assert empty.status_code == 422 and 'id="new-reason-error">Fill this in.<' in empty.text
    marketing, token = _browser(api, "marketing@example.com")
    assert marketing.get("/lost-reasons").status_code == 403
    refused = marketing.post("/lost-reasons", data={"csrf_token": token, "label": "Spam"})
    assert refused.status_code == 403
    sales, _ = _browser(api, "sales@example.com")
    dialog = sales.get("/lost-reasons/dialog")
    assert dialog.status_code == 200 and "No &lt;b&gt;budget&lt;/b&gt;" in dialog.text
