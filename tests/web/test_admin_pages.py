"""The teams, users and contacts pages, through a browser-like client (session cookie, CSRF)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from leadstreams.services import users
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _logged_in(api: Api, email: str, password: str = PASSWORD) -> TestClient:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    answer = post_login(browser, {"email": email, "password": password})
    assert answer.status_code == 303, answer.text
    return browser


def _token(browser: TestClient) -> str:
    page = browser.get("/leads").text
    return page.split('name="csrf_token" value="')[1].split('"')[0]


def _post(browser: TestClient, path: str, data: dict[str, object]) -> tuple[int, str]:
    answer = browser.post(path, data=data | {"csrf_token": _token(browser)})
    return answer.status_code, answer.text


def _error_next_to(page: str, field_id: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field_id}-error">([^<]*)</p>', page)
    assert found, f"no error shown next to #{field_id}"
    return found.group(1)


def _team_id(ctx: Context, name: str) -> int:
    return next(team.id for team in users.list_teams(ctx) if team.name == name)


def test_an_admin_creates_a_team_and_a_sales_user_in_it(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    assert _post(admin, "/teams", {"name": "Benelux"})[0] == 303
    team_id = _team_id(ctx, "Benelux")
    assert "Team “Benelux” created." in admin.get("/teams").text
    user = {"email": "Jan@Example.com", "name": "Jan de Vries", "role": "sales"}
    password = {"password": "long enough"}
    assert _post(admin, "/users", user | password | {"team_ids": [str(team_id)]})[0] == 303
    created = next(u for u in users.list_users(ctx) if u.email == "jan@example.com")
    assert (created.role, created.team_ids) == ("sales", [team_id])
    listing = admin.get("/users").text
    assert "Jan de Vries" in listing and "User jan@example.com created." in listing
    teams_page = admin.get("/teams").text
    benelux = teams_page.split(f'id="team-{team_id}-title"')[1].split("</section>")[0]
    assert "Jan de Vries" in benelux
    assert _logged_in(api, "jan@example.com", "long enough").get("/leads").status_code == 200


def test_a_bad_email_is_shown_next_to_its_field_and_creates_nothing(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    before = len(users.list_users(ctx))
    typed = {"email": "not-an-address", "name": "Typed Name", "role": "sales"}
    status, page = _post(
        admin, "/users", typed | {"password": "long enough", "team_ids": [str(api.team_id)]}
    )
    assert status == 422
    assert _error_next_to(page, "new-user-email") == "not an e-mail address"
    assert 'value="not-an-address"' in page and 'value="Typed Name"' in page
    assert f'value="{api.team_id}" checked' in page  # the ticked team stays ticked
    assert "long enough" not in page  # a password is never echoed
    assert len(users.list_users(ctx)) == before


def test_every_bad_field_of_a_new_user_is_shown_at_once(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    status, page = _post(
        admin, "/users", {"email": "x@example.com", "name": "", "role": "", "password": "short"}
    )
    assert status == 422
    # In plain words that say what to do (issue 13, item 6), not the validator's.
    assert _error_next_to(page, "new-user-name") == "Fill this in."
    assert _error_next_to(page, "new-user-password") == "Use at least 8 characters."
    assert _error_next_to(page, "new-user-role") == "Choose one of the options in the list."
    assert not any(u.email == "x@example.com" for u in users.list_users(ctx))


def test_a_taken_email_is_a_message_next_to_the_email(api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    data = {"email": "sales@example.com", "name": "Twin", "role": "sales"}
    status, page = _post(admin, "/users", data | {"password": "long enough"})
    assert status == 409
    assert "exists already" in _error_next_to(page, "new-user-email")


def test_teams_are_only_for_sales_users(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    data = {"email": "m2@example.com", "name": "M", "role": "marketing", "password": "long enough"}
    status, page = _post(admin, "/users", data | {"team_ids": [str(api.team_id)]})
    assert status == 422
    assert "only sales users" in _error_next_to(page, "new-user-teams")
    marketing = next(u for u in users.list_users(ctx) if u.role == "marketing")
    path = f"/teams/{api.team_id}/members"
    status, page = _post(admin, path, {"user_id": str(marketing.id)})
    assert status == 422
    assert "only sales users" in _error_next_to(page, f"team-{api.team_id}-member")


def test_an_admin_edits_a_users_role_teams_and_password(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    path = f"/users/{api.sales_id}"
    assert "Role, teams and access" in admin.get(path).text
    data = {"name": "Sally", "role": "sales", "active": "on"}
    both = [str(api.team_id), str(api.other_team_id)]
    assert _post(admin, path, data | {"team_ids": both})[0] == 303
    assert users.get_user(ctx, user_id=api.sales_id).team_ids == sorted(
        [api.team_id, api.other_team_id]
    )
    status, page = _post(admin, f"{path}/password", {"password": "short"})
    assert status == 422 and "at least 8" in _error_next_to(page, "new-password")
    assert _post(admin, f"{path}/password", {"password": "a new secret"})[0] == 303
    _logged_in(api, "sales@example.com", "a new secret")
    assert _post(admin, path, {"name": "Sally", "role": "sales"})[0] == 303  # not active
    assert users.get_user(ctx, user_id=api.sales_id).active is False


def test_an_admin_cannot_lock_themselves_out(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    me = next(u for u in users.list_users(ctx) if u.email == "admin@example.com")
    status, page = _post(admin, f"/users/{me.id}", {"name": "Admin", "role": "admin"})
    assert status == 422
    assert "deactivate your own account" in _error_next_to(page, "edit-active")
    assert users.get_user(ctx, user_id=me.id).active is True


def test_teams_are_renamed_members_removed_and_a_busy_team_is_not_deleted(
    ctx: Context, api: Api
) -> None:
    admin = _logged_in(api, "admin@example.com")
    rename = f"/teams/{api.team_id}/rename"
    status, page = _post(admin, rename, {"name": "DACH"})
    assert status == 409 and "exists already" in _error_next_to(page, f"team-{api.team_id}-name")
    assert 'value="DACH"' in page  # what was typed stays in the field
    assert _post(admin, rename, {"name": "Nordics & Baltics"})[0] == 303
    assert "Nordics &amp; Baltics" in admin.get("/teams").text
    remove = f"/teams/{api.team_id}/members/{api.sales_id}/remove"
    assert _post(admin, remove, {})[0] == 303
    assert users.get_team(ctx, team_id=api.team_id).member_ids == []
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    status, page = _post(admin, f"/teams/{api.team_id}/delete", {})
    assert status == 409
    assert "active stream" in _error_next_to(page, f"team-{api.team_id}-delete")
    assert _post(admin, f"/teams/{api.other_team_id}/delete", {})[0] == 303
    assert [team.id for team in users.list_teams(ctx)] == [api.team_id]


def test_admin_forms_need_the_csrf_token(ctx: Context, api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    assert admin.post("/teams", data={"name": "Sneaky"}).status_code == 403
    assert not any(team.name == "Sneaky" for team in users.list_teams(ctx))


def test_team_names_are_escaped(api: Api) -> None:
    admin = _logged_in(api, "admin@example.com")
    assert _post(admin, "/teams", {"name": "<script>alert(1)</script>"})[0] == 303
    page = admin.get("/teams").text
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page


def test_marketing_may_not_open_users_or_teams_and_has_no_menu_for_them(api: Api) -> None:
    marketing = _logged_in(api, "marketing@example.com")
    for path in ("/users", "/teams", f"/users/{api.sales_id}"):
        assert marketing.get(path).status_code == 403, path
    assert _post(marketing, "/teams", {"name": "Mine"})[0] == 403
    menu = marketing.get("/leads").text
    assert ">Users</a>" not in menu and ">Teams</a>" not in menu
    assert ">Contacts</a>" in menu


def test_contacts_are_found_by_name_and_company(ctx: Context, api: Api) -> None:
    ada = builders.contact(
        ctx, "ada@example.com", first_name="Ada", last_name="Lovelace", company="Engines Ltd"
    )
    builders.contact(ctx, "bob@example.com", first_name="Bob", company="Widgets AB")
    marketing = _logged_in(api, "marketing@example.com")
    for query in ("lovelace", "ENGINES"):
        page = marketing.get("/contacts", params={"q": query}).text
        assert f'href="/contacts/{ada}"' in page and "bob@example.com" not in page, query
    assert "bob@example.com" in marketing.get("/contacts").text
    assert "No contacts match “nobody”" in marketing.get("/contacts?q=nobody").text


def test_a_contact_page_shows_fields_tags_and_timeline(ctx: Context, api: Api) -> None:
    contact_id = builders.contact(
        ctx, "ada@example.com", first_name="Ada", tags=["vip"], lead_score=42
    )
    builders.event(ctx, "ada@example.com", properties={"form": "Contact us"})
    page = _logged_in(api, "admin@example.com").get(f"/contacts/{contact_id}").text
    assert "Ada" in page and "vip" in page and ">42<" in page
    assert "Form submitted" in page and "Contact us" in page


def test_contacts_list_pages_through_many_contacts(ctx: Context, api: Api) -> None:
    for n in range(52):
        builders.contact(ctx, f"c{n:02}@example.com", company="Many")
    admin = _logged_in(api, "admin@example.com")
    first = admin.get("/contacts?q=many").text
    assert "c00@example.com" in first and "c50@example.com" not in first
    after = first.split("after=")[1].split('"')[0]
    second = admin.get(f"/contacts?q=many&after={after}").text
    assert "c50@example.com" in second and "c51@example.com" in second


def test_sales_has_no_contacts_pages(ctx: Context, api: Api) -> None:
    contact_id = builders.contact(ctx, "ada@example.com")
    sales = _logged_in(api, "sales@example.com")
    assert ">Contacts</a>" not in sales.get("/leads").text
    assert sales.get("/contacts").status_code == 403
    assert sales.get(f"/contacts/{contact_id}").status_code == 403
