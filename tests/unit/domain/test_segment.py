"""The mapping of Segment messages (domain/segment.py): event names, traits, pages."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leadstreams.domain.segment import contact_fields, event_type, page_properties
from leadstreams.rules.fields import NAME_PATTERN


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Form Submitted", "form_submitted"),
        ("Email Link Clicked", "email_clicked"),
        ("Email Opened", "email_opened"),
        ("Page Viewed", "page_visited"),
        ("trialStarted", "trial_started"),
        ("  Order -- Completed! ", "order_completed"),
        ("signup_v2", "signup_v2"),
        ("Ünïcode Event", "n_code_event"),
        ("2FA Enabled", None),
        ("!!!", None),
        ("", None),
        ("x" * 64, None),
    ],
)
def test_an_event_name_becomes_a_snake_case_type(name: str, expected: str | None) -> None:
    assert event_type(name) == expected


@given(st.text(max_size=80))
def test_an_event_type_is_a_name_rules_can_use_and_stays_itself(name: str) -> None:
    found = event_type(name)
    if found is not None:
        assert NAME_PATTERN.fullmatch(found)
        assert event_type(found) == found


def test_traits_map_to_contact_fields_and_declared_custom_fields() -> None:
    traits = {
        "email": "ann@example.com", "firstName": "Ann", "last_name": "Lind",
        "company": {"name": "Acme", "plan": "x"}, "title": "CTO", "phone": "+46 8 123",
        "address": {"city": "Malmö", "country": "SE"}, "plan": "pro", "shoe_size": 38,
    }  # fmt: skip
    fields, custom = contact_fields(traits, ["plan", "nps"])
    assert fields == {
        "email": "ann@example.com", "first_name": "Ann", "last_name": "Lind",
        "company": "Acme", "title": "CTO", "phone": "+46 8 123", "city": "Malmö",
        "country": "SE",
    }  # fmt: skip
    assert custom == {"plan": "pro"}


@pytest.mark.parametrize(
    ("traits", "expected"),
    [
        ({"name": "Ann Marie Lind"}, {"first_name": "Ann", "last_name": "Marie Lind"}),
        ({"name": "Ann"}, {"first_name": "Ann"}),
        ({"name": "Ann Lind", "firstName": "Anna"}, {"first_name": "Anna"}),
        ({"country": "Sweden"}, {}),
        ({"country": "se"}, {"country": "se"}),  # the contact schema upper-cases it
        ({"email": None, "city": "Oslo"}, {"city": "Oslo"}),
    ],
)
def test_traits_the_contact_cannot_take_as_they_are(
    traits: dict[str, object], expected: dict[str, object]
) -> None:
    assert contact_fields(traits, [])[0] == expected


def test_a_page_keeps_its_url_path_title_referrer_and_name() -> None:
    properties = {"path": "/pricing", "title": "Pricing", "search": "?a=1"}
    context_page = {"url": "https://example.com/pricing", "path": "/ignored", "referrer": "x"}
    assert page_properties(properties, context_page, "Pricing") == {
        "url": "https://example.com/pricing", "path": "/pricing", "title": "Pricing",
        "referrer": "x", "name": "Pricing",
    }  # fmt: skip
    assert page_properties({}, {}, None) == {}
