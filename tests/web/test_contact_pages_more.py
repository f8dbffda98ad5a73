"""One contact page (issue 13, item 9): filters (search, category, tag, has lead, score
range) on the list and in `GET /contacts`, field labels, the contact's lead, and an edit form
for marketing and admins."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from leadstreams.schemas.fields import FieldCreate
from leadstreams.services import vocabulary
from leadstreams.services.context import Context
from tests.support import builders
from tests.support.api import PASSWORD, Api
from tests.support.pages import post_login


def _world(ctx: Context, api: Api) -> dict[str, int]:
    builders.stream(ctx, builders.SCORE_AT_LEAST_50, team_ids=[api.team_id])
    return {
        "ada": builders.contact(ctx, "ada@example.com", first_name="Ada", lead_score=70,
                                tags=["vip"], category="customer"),
        "bo": builders.contact(ctx, "bo@example.com", first_name="Bo", lead_score=30,
                               tags=["vip", "nordic"]),
        "cy": builders.contact(ctx, "cy@example.com", first_name="Cy", lead_score=10),
    }  # fmt: skip


def _emails(answer: list[dict[str, object]]) -> list[object]:
    return [c["email"] for c in answer]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["ada@example.com", "bo@example.com", "cy@example.com"]),
        ("category=customer", ["ada@example.com"]),
        ("tag=VIP", ["ada@example.com", "bo@example.com"]),
        ("has_lead=true", ["ada@example.com"]),
        ("has_lead=false", ["bo@example.com", "cy@example.com"]),
        ("score_min=30", ["ada@example.com", "bo@example.com"]),
        ("score_max=30", ["bo@example.com", "cy@example.com"]),
        ("score_min=11&score_max=69", ["bo@example.com"]),
        ("tag=vip&has_lead=false&q=bo", ["bo@example.com"]),
    ],
)
def test_the_api_filters_contacts(ctx: Context, api: Api, query: str, expected: list[str]) -> None:
    _world(ctx, api)
    answer = api.marketing.get(f"/api/v1/contacts?{query}")
    assert answer.status_code == 200, answer.text
    assert _emails(answer.json()) == expected


@pytest.mark.parametrize(
    ("query", "field"),
    [("category=vip", "category"), ("has_lead=maybe", "has_lead"), ("score_min=abc", "score_min"),
     ("score_max=99999999999", "score_max"), ("tag=" + "x" * 101, "tag")],
)  # fmt: skip
def test_a_bad_filter_is_refused_naming_it(api: Api, query: str, field: str) -> None:
    answer = api.marketing.get(f"/api/v1/contacts?{query}")
    assert answer.status_code == 422
    assert [d["path"] for d in answer.json()["error"]["details"]] == [field]


def _browser(api: Api, email: str) -> tuple[TestClient, str]:
    browser = TestClient(api.anonymous.app, follow_redirects=False)
    assert post_login(browser, {"email": email, "password": PASSWORD}).status_code == 303
    page = browser.get("/leads").text
    return browser, page.split('name="csrf_token" value="')[1].split('"')[0]


def test_the_list_filters_and_links_each_lead(ctx: Context, api: Api) -> None:
    ids = _world(ctx, api)
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get("/contacts", params={"tag": "vip", "score_min": "20"}).text
    rows = page.split("<tbody>")[1]
    assert "ada@example.com" in rows and "bo@example.com" in rows and "cy@" not in rows
    (lead_id,) = re.findall(r'href="/leads/(\d+)">MQL<', rows)
    assert api.marketing.get(f"/api/v1/leads/{lead_id}").json()["contact"]["id"] == ids["ada"]
    assert 'value="vip"' in page and 'value="20"' in page  # the filters stay as typed
    none = browser.get("/contacts", params={"has_lead": "yes", "category": "other"}).text
    assert "No contacts match these filters" in none


def test_the_contact_page_shows_labels_and_its_lead(ctx: Context, api: Api) -> None:
    ids = _world(ctx, api)
    data = FieldCreate(name="employees", label="Number of employees", type="number")  # type: ignore[arg-type]
    vocabulary.create_field(ctx, data=data)
    api.marketing.patch(f"/api/v1/contacts/{ids['ada']}", json={"fields": {"employees": 40}})
    browser, _ = _browser(api, "marketing@example.com")
    page = browser.get(f"/contacts/{ids['ada']}").text
    assert "<dt>Number of employees</dt><dd>40</dd>" in page and "<dt>employees" not in page
    assert "open the lead card" in page
    assert "Not a lead" in browser.get(f"/contacts/{ids['cy']}").text


def test_marketing_edits_a_contact_and_a_bad_value_shows_at_its_field(
    ctx: Context, api: Api
) -> None:
    ids = _world(ctx, api)
    browser, token = _browser(api, "marketing@example.com")
    form = {"csrf_token": token, "email": "cy@example.com", "first_name": "Cyra", "company": "",
            "country": "se", "category": "other", "tags": "webinar, VIP"}  # fmt: skip
    saved = browser.post(f"/contacts/{ids['cy']}/edit", data=form)
    assert saved.status_code == 303
    contact = api.marketing.get(f"/api/v1/contacts/{ids['cy']}").json()
    assert (contact["first_name"], contact["country"], contact["category"]) == (
        "Cyra",
        "SE",
        "other",
    )
    assert contact["tags"] == ["webinar", "VIP"] and contact["company"] is None
    bad = browser.post(f"/contacts/{ids['cy']}/edit",
                       data=form | {"email": "not-mail", "country": "Sweden"})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="edit-email-error">Enter an e-mail address, e.g. ada@example.com.<' in bad.text
    assert 'id="edit-country-error">Enter a two-letter country code, e.g. SE.<' in bad.text
    assert 'value="not-mail"' in bad.text  # what was typed stays
    sales, token = _browser(api, "sales@example.com")
    assert (
        sales.post(f"/contacts/{ids['ada']}/edit", data=form | {"csrf_token": token}).status_code
        == 403
    )
    admin, _ = _browser(api, "admin@example.com")
    assert "Edit contact" in admin.get(f"/contacts/{ids['ada']}").text


def test_the_edit_form_sets_and_clears_custom_fields_by_their_types(ctx: Context, api: Api) -> None:
    ids = _world(ctx, api)
    kinds = {"employees": "number", "partner": "boolean", "stack": "tags", "industry": "string"}
    for name, kind in kinds.items():
        data = FieldCreate(name=name, label=name.title(), type=kind)  # type: ignore[arg-type]
        vocabulary.create_field(ctx, data=data)
    api.marketing.patch(f"/api/v1/contacts/{ids['cy']}", json={"fields": {"industry": "Retail"}})
    browser, token = _browser(api, "marketing@example.com")
    page = browser.get(f"/contacts/{ids['cy']}").text
    assert 'name="fields.industry" value="Retail"' in page
    form = {"csrf_token": token, "email": "cy@example.com", "category": "prospect",
            "fields.employees": "120", "fields.partner": "Yes", "fields.stack": "python, go",
            "fields.industry": ""}  # fmt: skip
    assert browser.post(f"/contacts/{ids['cy']}/edit", data=form).status_code == 303
    fields = api.marketing.get(f"/api/v1/contacts/{ids['cy']}").json()["fields"]
    assert fields == {"employees": 120, "partner": True, "stack": ["python", "go"]}
    assert 'name="fields.stack" value="python, go"' in browser.get(f"/contacts/{ids['cy']}").text
    bad = browser.post(f"/contacts/{ids['cy']}/edit", data=form | {"fields.employees": "many"})
    assert bad.status_code == 422
    assert 'id="edit-employees-error"' in bad.text and 'value="many"' in bad.text
    assert api.marketing.get(f"/api/v1/contacts/{ids['cy']}").json()["fields"] == fields
