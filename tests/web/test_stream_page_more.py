"""The stream page's completeness (issue 13, item 11; spec section 6 and rules 3, 7, 9): the
re-qualify period, delete (inactive only), duplicate, and the archive of cleared matches."""

from __future__ import annotations

from leadstreams.services import fetch_history, streams
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import Api
from tests.web.test_stream_pages import SCORE_50, _browser, _errors, _form


def test_the_requalify_period_is_set_cleared_and_refused_in_plain_words(
    ctx: Context, api: Api
) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], active=False)
    browser, token = _browser(api, "marketing@example.com")
    page_url = f"/streams/{stream_id}"
    saved = browser.post(page_url, data=_form(token, [api.team_id], requalify_after_days="90"))
    assert saved.status_code == 303
    assert streams.get_stream(ctx, stream_id=stream_id).requalify_after_days == 90
    page = browser.get(f"/streams/{stream_id}").text
    assert 'name="requalify_after_days" value="90"' in page and "re-qualify period" in page
    for bad in ("0", "3651", "soon", "-5"):
        refused = browser.post(page_url, data=_form(token, [api.team_id], requalify_after_days=bad))
        assert refused.status_code == 422, bad
        assert _errors(refused.text)["requalify_after_days"] == (
            "Enter a whole number of days from 1 to 3,650, or leave it empty."
        )
    assert streams.get_stream(ctx, stream_id=stream_id).requalify_after_days == 90
    cleared = browser.post(page_url, data=_form(token, [api.team_id], requalify_after_days=""))
    assert cleared.status_code == 303
    assert streams.get_stream(ctx, stream_id=stream_id).requalify_after_days is None


def test_duplicating_fills_a_new_form_with_a_copy(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.other_team_id], name="Hot <b>",
                                description="Scores", requalify_after_days=30)  # fmt: skip
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get(f"/streams/new?copy={stream_id}").text
    assert 'value="Copy of Hot &lt;b&gt;"' in page and ">Scores</textarea>" in page
    assert 'name="requalify_after_days" value="30"' in page and "lead_score" in page
    assert f'value="{api.other_team_id}" checked' in page
    assert 'action="/streams/new"' in page  # saving makes a new stream
    assert browser.get("/streams/new?copy=999999").status_code == 404


def test_only_an_inactive_stream_is_deleted_and_its_leads_stay(ctx: Context, api: Api) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], name="Going")
    builders.contact(ctx, "ada@example.com", lead_score=70)
    browser, token = _browser(api, "marketing@example.com")
    refused = browser.post(f"/streams/{stream_id}/delete", data={"csrf_token": token})
    assert refused.status_code == 409 and "deactivate the stream before deleting it" in refused.text
    streams.set_active(ctx, stream_id=stream_id, active=False, user_id=None)
    deleted = browser.post(f"/streams/{stream_id}/delete", data={"csrf_token": token})
    assert (deleted.status_code, deleted.headers["location"]) == (303, "/streams")
    assert "“Going” deleted; its leads stay on the board." in browser.get("/streams").text
    assert [s.id for s in streams.list_streams(ctx)] == []
    assert len(api.sales.get("/api/v1/leads").json()["items"]) == 1
    assert (
        browser.post(f"/streams/{stream_id}/delete", data={"csrf_token": token}).status_code == 404
    )
    sales, token = _browser(api, "sales@example.com")
    other = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], name="Kept", active=False)
    assert sales.post(f"/streams/{other}/delete", data={"csrf_token": token}).status_code == 403


def test_the_archive_lists_the_cleared_matches_and_where_each_lead_is(
    ctx: Context, api: Api
) -> None:
    stream_id = builders.stream(ctx, SCORE_50, team_ids=[api.team_id], name="Cleared")
    other_id = builders.stream(ctx, {"field": "country", "op": "eq", "value": "SE"},
                               team_ids=[api.team_id], name="Swedes")  # fmt: skip
    builders.contact(ctx, "ada@example.com", first_name="Ada", lead_score=70)
    builders.contact(ctx, "bo@example.com", first_name="Bo", lead_score=80, country="SE")
    streams.set_active(ctx, stream_id=stream_id, active=False, user_id=None)
    assert fetch_history.clear_stream(ctx, stream_id=stream_id, user_id=None) == 2
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get(f"/streams/{stream_id}/archive").text
    rows = page.split("<tbody>")[1]
    assert rows.count("<tr>") == 2 and "Ada" in rows and "Bo" in rows
    assert rows.count("Archived") == 1 and rows.count("On the board") == 1  # Bo: via Swedes
    assert "Nothing cleared yet" in browser.get(f"/streams/{other_id}/archive").text
    sales, _ = _browser(api, "sales@example.com")
    assert sales.get(f"/streams/{stream_id}/archive").status_code == 403


def test_why_a_contact_does_not_match_shows_each_rule_with_the_values_seen(
    ctx: Context, api: Api
) -> None:
    rules = {"all": [builders.SCORE_AT_LEAST_50, {"field": "country", "op": "eq", "value": "SE"}]}
    stream_id = builders.stream(ctx, rules, team_ids=[api.team_id], name="Swedes")
    builders.contact(ctx, "ada@example.com", first_name="Ada", lead_score=70, country="NO")
    builders.contact(ctx, "bo@example.com", first_name="Bo", lead_score=80, country="SE")
    browser, _ = _browser(api, "marketing@example.com")
    htmx = {"HX-Request": "true"}
    ada = browser.get(f"/streams/{stream_id}/check", params={"email": " ADA@example.com "},
                      headers=htmx).text  # fmt: skip
    assert "<html" not in ada and "does not match the rules now" in ada
    assert ada.count('class="cond held"') == 1 and ada.count('class="cond failed"') == 2
    assert "value seen: <strong>70</strong>" in ada and "value seen: <strong>NO</strong>" in ada
    bo = browser.get(f"/streams/{stream_id}/check", params={"email": "bo@example.com"},
                     headers=htmx).text  # fmt: skip
    assert "matches the rules now, and has a lead from this stream" in bo
    nobody = browser.get(f"/streams/{stream_id}/check", params={"email": "cy@example.com"})
    assert "<html" in nobody.text and "No contact has the e-mail" in nobody.text
    empty = browser.get(f"/streams/{stream_id}/check", params={"email": ""}, headers=htmx)
    assert "Enter the e-mail address of the contact you expected." in empty.text
    assert browser.get("/streams/999999/check", params={"email": "a@b.c"}).status_code == 404
    sales, _ = _browser(api, "sales@example.com")
    refused = sales.get(f"/streams/{stream_id}/check", params={"email": "ada@example.com"})
    assert refused.status_code == 403
