from __future__ import annotations

import html
import json
import re
from typing import Any

from fastapi.testclient import TestClient

from leadstreams.services import streams
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login

SCORE_50 = {"all": [builders.SCORE_AT_LEAST_50]}


def _browser(api: Api, email: str) -> tuple[TestClient, str]:
    """A logged-in browser and its CSRF token."""
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": PASSWORD})
    assert answer.status_code == 303
    page = browser.get("/streams").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return browser, token.group(1)


def _form(token: str, team_ids: list[int], **fields: Any) -> dict[str, Any]:
    rules = fields.pop("rules", SCORE_50)
    return {
        "csrf_token": token,
        "name": "Hot leads",
        "description": "",
        "rules": rules if isinstance(rules, str) else json.dumps(rules),
        "team_ids": [str(team_id) for team_id in team_ids],
    } | fields


def _errors(page: str) -> dict[str, str]:
    """{path: message} of the errors the page shows next to the fields."""
    found = re.findall(r'data-path="([^"]+)">(?:<code>[^<]*</code> )?([^<]*)<', page)
    return {path: html.unescape(message.strip()) for path, message in found}


def test_the_list_shows_each_stream_with_teams_state_and_leads(ctx: Context, api: Api) -> None:
    builders.stream(ctx, SCORE_50, team_ids=[api.team_id], name="Score 50")
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get("/streams").text
    assert "Score 50" in page and "Nordics" in page
    assert "Add lead stream" in page
    assert 'role="switch"' in page and "checked" in page


def test_creating_a_stream_with_valid_rules_makes_an_inactive_stream(
    ctx: Context, api: Api
) -> None:
    browser, token = _browser(api, "marketing@example.com")
    assert "Add new rule" not in browser.get("/streams/new").text  # the editor is built in JS
    answer = browser.post("/streams/new", data=_form(token, [api.team_id]))
    assert answer.status_code == 303
    [stream] = streams.list_streams(ctx)
    assert (stream.name, stream.active, stream.team_ids) == (
        "Hot leads",
        False,
        [api.team_id],
    )
    assert answer.headers["location"] == f"/streams/{stream.id}"
    page = browser.get(answer.headers["location"]).text
    assert "Lead stream created" in page and "Lead score is at least 50" in page


def test_invalid_rules_show_each_error_next_to_its_field_and_keep_the_input(
    ctx: Context, api: Api
) -> None:
    browser, token = _browser(api, "marketing@example.com")
    rules = {"all": [{"field": "lead_score", "op": "gte"}, {"field": "leadscore", "op": "eq"}]}
    data = _form(token, [], name="  ", description="Typed <b>by me</b>", rules=rules)
    answer = browser.post("/streams/new", data=data)
    assert answer.status_code == 422
    errors = _errors(answer.text)
    # In the editor's words (issue 13, item 6), not the parser's ("operator 'gte' …").
    assert errors["rules.all[0].value"] == "Enter a number for “Lead score is at least”."
    assert "Did you mean “Lead score”?" in errors["rules.all[1].field"]
    assert errors["name"] == "Give the stream a name."
    assert errors["team_ids"] == "Tick at least one sales team."
    assert "Typed &lt;b&gt;by me&lt;/b&gt;</textarea>" in answer.text  # kept, and escaped
    assert "&#34;leadscore&#34;" in answer.text  # the rules the user built, kept
    assert streams.list_streams(ctx) == []


def test_a_taken_name_and_no_rules_are_shown_at_their_fields(ctx: Context, api: Api) -> None:
    builders.stream(ctx, SCORE_50, team_ids=[api.team_id], name="Hot leads", active=False)
    browser, token = _browser(api, "marketing@example.com")
    answer = browser.post("/streams/new", data=_form(token, [api.team_id]))
    assert answer.status_code == 409
    assert "exists already" in _errors(answer.text)["name"]
    empty = browser.post("/streams/new", data=_form(token, [api.team_id], rules={"all": []}))
    assert _errors(empty.text)["rules"] == "Add at least one rule."


def test_the_editor_reads_rules_back_in_plain_english(ctx: Context, api: Api) -> None:
    del ctx
    browser, token = _browser(api, "marketing@example.com")
    headers = {"X-CSRF-Token": token}
    answer = browser.post("/streams/rules/text", json={"rules": SCORE_50}, headers=headers)
    assert answer.json() == {"valid": True, "text": "Lead score is at least 50"}
    visits = {"event": "page_visited", "within_days": 7}  # the editor shows its count
    said = browser.post("/streams/rules/text", json={"rules": visits}, headers=headers).json()
    assert said["text"] == "Visited a page at least 1 time in the last 7 days"
    bad = browser.post(
        "/streams/rules/text",
        json={"rules": {"field": "lead_score", "op": "gte", "value": None}},
        headers=headers,
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == [
        {"path": "rules.value", "message": "Enter a number for “Lead score is at least”."}
    ]
    assert browser.post("/streams/rules/text", json={"rules": SCORE_50}).status_code == 403


def test_editing_a_stream_saves_and_records_it(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    browser, token = _browser(api, "marketing@example.com")
    data = _form(token, [api.team_id, api.other_team_id], name="Warm leads")
    assert browser.post(f"/streams/{stream_id}", data=data).status_code == 303
    stream = streams.get_stream(ctx, stream_id=stream_id)
    assert (stream.name, stream.team_ids) == ("Warm leads", [api.team_id, api.other_team_id])
    page = browser.get(f"/streams/{stream_id}").text
    assert "edited name, teams" in page


def test_the_switch_activates_and_deactivates(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    browser, token = _browser(api, "marketing@example.com")
    answer = browser.post(f"/streams/{stream_id}/activate", data={"csrf_token": token})
    assert (answer.status_code, answer.headers["location"]) == (303, f"/streams/{stream_id}")
    assert streams.get_stream(ctx, stream_id=stream_id).active is True
    page = browser.get(f"/streams/{stream_id}").text
    assert f'action="/streams/{stream_id}/deactivate"' in page
    back = browser.post(
        f"/streams/{stream_id}/deactivate", data={"csrf_token": token, "next": "/streams"}
    )
    assert back.headers["location"] == "/streams"
    assert streams.get_stream(ctx, stream_id=stream_id).active is False


def test_clear_leads_is_refused_while_active_and_works_when_inactive(
    ctx: Context, api: Api
) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id])
    builders.contact(ctx, "hot@example.com", lead_score=80)
    assert streams.get_stream(ctx, stream_id=stream_id).lead_count == 1
    browser, token = _browser(api, "marketing@example.com")
    page = browser.get(f"/streams/{stream_id}").text
    assert re.search(r'<button type="submit" class="danger"\s+disabled[^>]*>Clear leads', page)
    refused = browser.post(f"/streams/{stream_id}/clear", data={"csrf_token": token})
    assert refused.status_code == 409
    assert "deactivate the stream before clearing its leads" in refused.text
    streams.set_active(ctx, stream_id=stream_id, active=False, user_id=None)
    page = browser.get(f"/streams/{stream_id}").text
    assert 'data-confirm="Clear all leads' in page
    cleared = browser.post(f"/streams/{stream_id}/clear", data={"csrf_token": token})
    assert cleared.status_code == 303
    assert "Cleared 1 leads" in browser.get(f"/streams/{stream_id}").text
    assert streams.get_stream(ctx, stream_id=stream_id).lead_count == 0


def test_fetch_history_queues_a_job_and_shows_its_progress(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    browser, token = _browser(api, "marketing@example.com")
    refused = browser.post(f"/streams/{stream_id}/fetch-history", data={"csrf_token": token})
    assert refused.status_code == 409 and "needs the stream to be active" in refused.text
    streams.set_active(ctx, stream_id=stream_id, active=True, user_id=None)
    answer = browser.post(f"/streams/{stream_id}/fetch-history", data={"csrf_token": token})
    assert answer.status_code == 303
    job_id = int(answer.headers["location"].split("?job=")[1])
    page = browser.get(answer.headers["location"]).text
    assert f'hx-get="/streams/{stream_id}/jobs/{job_id}"' in page
    progress = browser.get(f"/streams/{stream_id}/jobs/{job_id}")
    assert progress.status_code == 200
    assert "Waiting to start" in progress.text and 'hx-trigger="every 1s"' in progress.text
    assert "0 matches created" in progress.text
    assert browser.get(f"/streams/{stream_id + 1}/jobs/{job_id}").status_code == 404


def test_the_preview_counts_matching_contacts_with_a_sample(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    builders.contact(ctx, "hot@example.com", lead_score=80, first_name="Ada")
    builders.contact(ctx, "cold@example.com", lead_score=10)
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get(f"/streams/{stream_id}/preview").text
    assert "<strong>1</strong> contact matches" in page
    assert "Ada" in page and "cold@example.com" not in page


def test_every_post_needs_the_csrf_token(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    browser, token = _browser(api, "marketing@example.com")
    for path in ("/streams/new", f"/streams/{stream_id}", f"/streams/{stream_id}/activate"):
        data = _form("wrong", [api.team_id], name="Other")
        assert browser.post(path, data=data).status_code == 403
    assert browser.post(f"/streams/{stream_id}/clear", data={}).status_code == 403
    assert streams.get_stream(ctx, stream_id=stream_id).active is False
    assert len(streams.list_streams(ctx)) == 1
    del token


def test_sales_reads_streams_but_sees_no_controls_and_may_not_change_them(
    ctx: Context, api: Api
) -> None:
    stream_id = builders.stream(
        ctx, SCORE_50, team_ids=[api.team_id], name="Score 50", description="Hot ones"
    )
    browser, token = _browser(api, "sales@example.com")
    listing = browser.get("/streams").text
    assert "Score 50" in listing and "Hot ones" in listing and "Active" in listing
    assert "Add lead stream" not in listing and 'role="switch"' not in listing
    page = browser.get(f"/streams/{stream_id}").text
    assert "Lead score is at least 50" in page
    assert "Clear leads" not in page and "Fetch ALL leads" not in page and "<form" in page
    assert browser.get("/streams/new").status_code == 403
    for action in ("deactivate", "clear", "fetch-history"):
        answer = browser.post(f"/streams/{stream_id}/{action}", data={"csrf_token": token})
        assert answer.status_code == 403, action
    saved = browser.post(f"/streams/{stream_id}", data=_form(token, [api.team_id], name="Mine"))
    assert saved.status_code == 403
    assert streams.get_stream(ctx, stream_id=stream_id).name == "Score 50"
