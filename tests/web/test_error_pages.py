"""Pages answer with pages (issue 13, item 4): an unknown address, a form sent empty or a
page's bad query show a styled page with plain words; API paths keep the JSON envelope."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _browser(api: Api, email: str | None = "sales@example.com") -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    if email:
        assert post_login(browser, {"email": email, "password": PASSWORD}).status_code == 303
    return browser


def test_an_unknown_address_is_a_page_with_the_menu_of_whoever_is_logged_in(api: Api) -> None:
    answer = _browser(api).get("/no/such/page")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in answer.text and '"error"' not in answer.text
    assert 'aria-label="Main"' in answer.text and "Log out" in answer.text
    anonymous = _browser(api, None).get("/no/such/page")
    assert anonymous.status_code == 404 and "Page not found" in anonymous.text
    assert "Log out" not in anonymous.text and 'href="/login"' in anonymous.text


def test_api_paths_keep_the_json_envelope(api: Api) -> None:
    answer = api.admin.get("/api/v1/no-such-thing")
    assert answer.status_code == 404
    assert answer.json()["error"]["code"] == "not_found"
    refused = api.admin.get("/api/v1/contacts?limit=0")
    assert refused.status_code == 422 and refused.json()["error"]["details"][0]["path"] == "limit"


def test_the_login_form_sent_empty_comes_back_with_a_note_next_to_each_field(api: Api) -> None:
    answer = post_login(_browser(api, None), {})
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert 'id="email-error">Enter the e-mail address you log in with.<' in answer.text
    assert 'id="password-error">Enter your password.<' in answer.text
    only_password = post_login(_browser(api, None), {"email": "sales@example.com"})
    assert only_password.status_code == 422
    assert 'value="sales@example.com"' in only_password.text  # what was typed stays
    assert "email-error" not in only_password.text and "password-error" in only_password.text


def test_a_page_with_a_bad_query_answers_a_page_in_plain_words(api: Api) -> None:
    answer = _browser(api).get("/leads/1/timeline")  # its cursor, `before`, is missing
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("text/html")
    assert "Fill this in." in answer.text and "Field required" not in answer.text
