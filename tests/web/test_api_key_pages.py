"""The API keys page (admins only): make a key, see it once, use it, revoke it."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _logged_in(api: Api, email: str) -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": PASSWORD})
    assert answer.status_code == 303, answer.text
    return browser


def _token(browser: TestClient) -> str:
    page = browser.get("/leads").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def test_an_admin_makes_a_key_sees_it_once_and_revokes_it(api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    made = admin.post(
        "/api-keys",
        data={"name": "Tag <manager>", "scopes": ["read"], "csrf_token": _token(admin)},
    )
    assert made.status_code == 201, made.text
    key = re.search(r'<code id="new-key">(lsk_[^<]+)</code>', made.text)
    assert key, "the new key is not shown"
    assert "Tag &lt;manager&gt;" in made.text and "Tag <manager>" not in made.text
    api_client = TestClient(api.admin.app)
    api_client.headers["Authorization"] = f"Bearer {key.group(1)}"
    assert api_client.get("/api/v1/leads").status_code == 200
    listing = admin.get("/api-keys").text
    assert key.group(1)[:12] in listing and key.group(1) not in listing
    row = listing.split(key.group(1)[:12])[0].rsplit('<tr id="key-', 1)[1]
    key_id = row.split('"')[0]
    revoked = admin.post(f"/api-keys/{key_id}/revoke", data={"csrf_token": _token(admin)})
    assert revoked.status_code == 303
    assert "(" + key.group(1)[:12] + "…) revoked" in admin.get("/api-keys").text
    assert api_client.get("/api/v1/leads").status_code == 401


def test_a_key_without_scopes_is_refused_next_to_the_field(api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    refused = admin.post("/api-keys", data={"name": "ETL", "csrf_token": _token(admin)})
    assert refused.status_code == 422
    assert 'id="key-scopes-error"' in refused.text and "ingest key" in refused.text


def test_only_admins_reach_the_page(api: Api) -> None:
    assert _logged_in(api, "marketing@example.com").get("/api-keys").status_code == 403
    assert _logged_in(api, "sales@example.com").get("/api-keys").status_code == 403
