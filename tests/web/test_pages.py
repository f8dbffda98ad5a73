from __future__ import annotations

from fastapi.testclient import TestClient

from leadstreams.services.context import Context
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _browser(api: Api) -> TestClient:
    app = api.anonymous.app
    return TestClient(app, follow_redirects=False)


def test_a_page_without_a_session_sends_you_to_log_in(api: Api) -> None:
    answer = _browser(api).get("/leads")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/leads"


def test_logging_in_opens_the_board_with_the_menu_of_the_role(api: Api) -> None:
    browser = _browser(api)
    answer = post_login(
        browser, {"email": "sales@example.com", "password": PASSWORD, "next": "/leads"}
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/leads")
    page = browser.get("/leads").text
    assert ">Leads</a>" in page and ">Users</a>" not in page
    admin = _browser(api)
    post_login(admin, {"email": "admin@example.com", "password": PASSWORD})
    assert ">Users</a>" in admin.get("/leads").text


def test_a_wrong_password_says_so_next_to_the_form(api: Api) -> None:
    answer = post_login(_browser(api), {"email": "sales@example.com", "password": "no"})
    assert answer.status_code == 401
    assert "Wrong e-mail or password." in answer.text


def test_logging_out_needs_the_csrf_token(api: Api) -> None:
    browser = _browser(api)
    post_login(browser, {"email": "sales@example.com", "password": PASSWORD})
    refused = browser.post("/logout", data={})
    assert refused.status_code == 403
    page = browser.get("/leads").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    assert browser.get("/leads").status_code == 303  # logged out


def test_a_login_never_redirects_to_another_site(api: Api) -> None:
    answer = post_login(
        _browser(api),
        {"email": "sales@example.com", "password": PASSWORD, "next": "//evil.example"},
    )
    assert answer.headers["location"] == "/leads"


def test_templates_escape_what_users_typed(ctx: Context, api: Api) -> None:
    del ctx
    answer = post_login(_browser(api), {"email": "<script>x</script>", "password": "x"})
    assert "<script>x</script>" not in answer.text
    assert "&lt;script&gt;" in answer.text


def test_the_app_serves_its_own_assets(api: Api) -> None:
    assert "htmx" in _browser(api).get("/static/vendor/htmx-2.0.11.min.js").text


def test_the_login_form_needs_the_token_of_its_page(api: Api) -> None:
    """Another site cannot log a browser in to an account of its choosing."""
    browser = _browser(api)
    form = {"email": "sales@example.com", "password": PASSWORD}
    assert browser.post("/login", data=form).status_code == 403
    assert browser.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403
    assert post_login(browser, form).status_code == 303
