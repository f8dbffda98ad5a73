"""Ending credentials at once: a new password, another role or disabling ends every token and
web session of the user; a token can be revoked; logging out ends the session on the server
(a copy of the cookie no longer logs anyone in)."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, Api, login
from tests.support.pages import post_login


def _browser(api: Api, email: str) -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": PASSWORD})
    assert answer.status_code == 303
    return browser


def _page_status(browser: TestClient) -> tuple[int, str]:
    answer = browser.get("/leads")
    return answer.status_code, answer.headers.get("location", "")


@pytest.mark.parametrize(
    "change",
    [{"password": "a new secret phrase"}, {"role": "marketing"}, {"active": False}],
    ids=["password", "role", "disabled"],
)
def test_a_new_password_role_or_disabling_ends_tokens_and_sessions_at_once(
    api: Api, change: dict[str, Any]
) -> None:
    token = login(api.anonymous.app, "sales@example.com")
    browser = _browser(api, "sales@example.com")
    assert token.get("/api/v1/me").status_code == 200
    assert _page_status(browser) == (200, "")

    answer = api.admin.patch(f"/api/v1/users/{api.sales_id}", json=change)
    assert answer.status_code == 200, answer.text

    refused = token.get("/api/v1/me")
    assert refused.status_code == 401
    assert ("disabled" if change.get("active") is False else "ended") in refused.text
    assert _page_status(browser) == (303, "/login?next=/leads")


def test_a_change_that_leaves_credentials_alone_keeps_them(api: Api) -> None:
    token = login(api.anonymous.app, "sales@example.com")
    browser = _browser(api, "sales@example.com")
    answer = api.admin.patch(f"/api/v1/users/{api.sales_id}", json={"name": "Sam", "team_ids": []})
    assert answer.status_code == 200
    assert token.get("/api/v1/me").json()["name"] == "Sam"
    assert _page_status(browser) == (200, "")


def test_a_revoked_token_is_refused_and_the_users_other_tokens_are_not(api: Api) -> None:
    kept = login(api.anonymous.app, "sales@example.com")
    revoked = login(api.anonymous.app, "sales@example.com")
    assert revoked.get("/api/v1/me").status_code == 200  # remembered by the process

    assert revoked.post("/api/v1/auth/revoke").status_code == 204

    assert revoked.get("/api/v1/me").status_code == 401
    assert revoked.post("/api/v1/auth/revoke").status_code == 401
    assert kept.get("/api/v1/me").status_code == 200


def test_logging_out_ends_the_session_for_every_copy_of_the_cookie(api: Api) -> None:
    browser = _browser(api, "sales@example.com")
    copy = TestClient(api.anonymous.app, follow_redirects=False)
    copy.cookies.update(browser.cookies)
    assert _page_status(copy) == (200, "")
    page = browser.get("/leads").text
    csrf = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]

    assert browser.post("/logout", data={"csrf_token": csrf}).status_code == 303

    assert _page_status(copy) == (303, "/login?next=/leads")
    again = _browser(api, "sales@example.com")  # logging in again works
    assert _page_status(again) == (200, "")


def test_a_bearer_token_lives_an_hour_by_default(api: Api) -> None:
    assert api.anonymous.app.state.ctx.settings.token_ttl_seconds == 3600
