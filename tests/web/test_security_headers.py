"""What every answer tells the browser: its own scripts and styles only, in no frame, nothing
personal kept in a cache; Secure cookies and HSTS when the deployment serves HTTPS."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leadstreams.main import create_app
from leadstreams.services.context import Context
from leadstreams.web.headers import PAGE_POLICY
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _logged_in(api: Api) -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    post_login(browser, {"email": "admin@example.com", "password": PASSWORD})
    return browser


def test_pages_and_the_api_forbid_inline_script_frames_and_caching(api: Api) -> None:
    browser = _logged_in(api)
    for answer in (browser.get("/leads"), browser.get("/login"), api.admin.get("/api/v1/me")):
        assert answer.status_code == 200, answer.url
        headers = answer.headers
        assert headers["content-security-policy"] == PAGE_POLICY
        assert "script-src 'self';" in PAGE_POLICY and "frame-ancestors 'none'" in PAGE_POLICY
        assert "unsafe-inline" not in PAGE_POLICY
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store"
        assert "strict-transport-security" not in headers


def test_pages_carry_no_inline_script_style_or_handler(api: Api) -> None:
    """What the policy would block: a page must not need it."""
    browser = _logged_in(api)
    for path in ("/leads", "/streams", "/contacts", "/users", "/teams", "/login"):
        html = browser.get(path).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html), path


def test_static_assets_may_be_cached(api: Api) -> None:
    answer = api.anonymous.get("/static/app.css")
    assert answer.status_code == 200 and "cache-control" not in answer.headers


def test_the_api_explorer_loads_nothing_from_another_site(api: Api) -> None:
    page = api.anonymous.get("/docs")
    assert page.status_code == 200
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert assets and all(url.startswith("/") for url in assets), assets
    for url in assets:
        assert api.anonymous.get(url).status_code == 200, url
    assert api.anonymous.get("/redoc").status_code == 404  # it would load a CDN's script


def test_over_https_the_session_cookie_is_secure_and_hsts_is_sent(api: Api, ctx: Context) -> None:
    ctx.settings.https = True
    app = create_app(ctx=ctx)
    browser = TestClient(app, base_url="https://testserver", follow_redirects=False)
    answer = browser.get("/login")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")
    login = post_login(browser, {"email": "admin@example.com", "password": PASSWORD})
    cookies = [v for k, v in login.headers.multi_items() if k == "set-cookie"]
    assert cookies and all("secure" in cookie.lower() for cookie in cookies)
