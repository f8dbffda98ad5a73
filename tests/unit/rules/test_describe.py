"""Every rule tree reads back as one plain English sentence (rules.md, "Reading back").

Golden text: each case is a raw rule and the exact sentence `describe` gives for it.
"""

from __future__ import annotations

from typing import Any

import pytest
from _pytest.mark import ParameterSet
from hypothesis import given

from leadstreams.rules import describe, parse
from tests.support.rule_trees import rule_trees
from tests.support.rules_world import VOCABULARY


def cond(field: str, op: str, value: Any = None) -> dict[str, Any]:
    """A field condition; `value` is left out when None (is_set, is_not_set)."""
    raw: dict[str, Any] = {"field": field, "op": op}
    if value is not None:
        raw["value"] = value
    return raw


def reads_as(raw: dict[str, Any]) -> str:
    return describe(parse(raw, VOCABULARY), VOCABULARY)


def golden(raw: dict[str, Any], text: str) -> ParameterSet:
    return pytest.param(raw, text, id=text)


def test_the_spec_example_reads_as_the_spec_says() -> None:
    raw = {
        "all": [
            cond("lead_score", "gte", 50),
            cond("country", "in", ["SE", "NO", "DK"]),
            {
                "event": "form_submitted",
                "where": [{"property": "form", "op": "eq", "value": "Contact us"}],
                "min_count": 2,
                "within_days": 30,
            },
        ]
    }

    assert reads_as(raw) == (
        "Lead score is at least 50, and country is one of SE, NO, DK, "
        'and submitted form "Contact us" at least 2 times in the last 30 days'
    )


STRINGS = [
    golden(cond("company", "eq", "Nordic AB"), 'Company is "Nordic AB"'),
    golden(cond("company", "neq", "Nordic AB"), 'Company is not "Nordic AB"'),
    golden(cond("company", "contains", "nordic"), 'Company contains "nordic"'),
    golden(cond("company", "not_contains", "nordic"), 'Company does not contain "nordic"'),
    golden(cond("email", "starts_with", "sales@"), 'Email starts with "sales@"'),
    golden(cond("email", "ends_with", ".se"), 'Email ends with ".se"'),
    golden(cond("country", "in", ["SE", "NO", "DK"]), "Country is one of SE, NO, DK"),
    golden(cond("country", "not_in", ["SE", "NO"]), "Country is not one of SE, NO"),
    golden(cond("city", "in", ["New York", "Oslo"]), 'City is one of "New York", Oslo'),
    golden(cond("phone", "is_set"), "Phone is set"),
    golden(cond("phone", "is_not_set"), "Phone is not set"),
    golden(cond("industry", "eq", "SaaS"), 'Industry is "SaaS"'),
]
NUMBERS = [
    golden(cond("lead_score", "eq", 50), "Lead score is 50"),
    golden(cond("lead_score", "neq", 50), "Lead score is not 50"),
    golden(cond("lead_score", "gt", 50), "Lead score is more than 50"),
    golden(cond("lead_score", "gte", 50), "Lead score is at least 50"),
    golden(cond("lead_score", "lt", 49.5), "Lead score is less than 49.5"),
    golden(cond("lead_score", "lte", -1), "Lead score is at most -1"),
    golden(cond("lead_score", "between", [10, 20]), "Lead score is between 10 and 20"),
    golden(cond("nps", "gte", 9), "NPS is at least 9"),
    golden(cond("nps", "is_not_set"), "NPS is not set"),
]
BOOLEANS = [
    golden(cond("newsletter", "eq", True), "Newsletter is true"),
    golden(cond("newsletter", "eq", False), "Newsletter is false"),
    golden(cond("newsletter", "is_set"), "Newsletter is set"),
]
DATETIMES = [
    golden(cond("demo_at", "before", "2026-06-01"), "Demo date is before 2026-06-01"),
    golden(
        cond("demo_at", "after", "2026-06-01T00:00:00Z"),
        "Demo date is after 2026-06-01",  # midnight UTC reads as a date
    ),
    golden(
        cond("demo_at", "after", "2026-06-01T14:30:00Z"),
        "Demo date is after 2026-06-01 14:30 UTC",
    ),
    golden(
        cond("demo_at", "before", "2026-06-01T14:30:05Z"),
        "Demo date is before 2026-06-01 14:30:05 UTC",
    ),
    golden(
        cond("demo_at", "before", "2026-06-01T16:30:00+02:00"),
        "Demo date is before 2026-06-01 14:30 UTC",  # read in UTC, whatever the input offset
    ),
    golden(
        cond("demo_at", "before", "2026-06-01T01:00:00+02:00"),
        "Demo date is before 2026-05-31 23:00 UTC",
    ),
    golden(
        cond("demo_at", "between", ["2026-01-01", "2026-03-31T18:00:00Z"]),
        "Demo date is between 2026-01-01 and 2026-03-31 18:00 UTC",
    ),
    golden(cond("demo_at", "within_last_days", 30), "Demo date is within the last 30 days"),
    golden(cond("demo_at", "within_last_days", 1), "Demo date is within the last day"),
    golden(cond("demo_at", "more_than_days_ago", 30), "Demo date is more than 30 days ago"),
    golden(cond("demo_at", "more_than_days_ago", 1), "Demo date is more than 1 day ago"),
    golden(cond("demo_at", "is_set"), "Demo date is set"),
]
ENUMS = [
    golden(cond("category", "eq", "customer"), "Category is customer"),
    golden(cond("category", "eq", "Customer"), "Category is customer"),  # canonical spelling
    golden(cond("category", "neq", "customer"), "Category is not customer"),
    golden(cond("lead_stage", "in", ["mql", "sql"]), "Lead stage is one of mql, sql"),
    golden(cond("plan", "not_in", ["free"]), "Plan is not one of free"),
    golden(cond("plan", "is_not_set"), "Plan is not set"),
]
TAGS = [
    golden(cond("tags", "contains", "vip"), 'Tags include "vip"'),
    golden(cond("tags", "not_contains", "vip"), 'Tags do not include "vip"'),
    golden(cond("tags", "contains_any", ["vip", "b2b"]), "Tags include any of vip, b2b"),
    golden(cond("tags", "contains_all", ["vip", "b2b"]), "Tags include all of vip, b2b"),
    golden(cond("tags", "contains_none", ["vip", "b2b"]), "Tags include none of vip, b2b"),
    golden(cond("tags", "is_set"), "Tags are not empty"),
    golden(cond("tags", "is_not_set"), "Tags are empty"),
    golden(cond("interests", "contains_any", ["AI", "data"]), "Interests include any of AI, data"),
]


@pytest.mark.parametrize(
    ("raw", "text"), [*STRINGS, *NUMBERS, *BOOLEANS, *DATETIMES, *ENUMS, *TAGS]
)
def test_a_field_condition_reads_as_its_golden_sentence(raw: dict[str, Any], text: str) -> None:
    assert reads_as(raw) == text


SCORE = cond("lead_score", "gte", 50)
SWEDEN = cond("country", "eq", "SE")
NORDIC = cond("company", "contains", "nordic")

GROUPS = [
    golden(
        {"all": [SCORE, {"any": [SWEDEN, NORDIC]}]},
        'Lead score is at least 50, and (country is "SE", or company contains "nordic")',
    ),
    golden(
        {"any": [SWEDEN, {"all": [SCORE, NORDIC]}]},
        'Country is "SE", or (lead score is at least 50, and company contains "nordic")',
    ),
    golden({"any": [SWEDEN, NORDIC]}, 'Country is "SE", or company contains "nordic"'),
    golden({"all": [SCORE]}, "Lead score is at least 50"),  # all of one rule is that rule
    golden(
        {"all": [{"any": [SWEDEN, NORDIC]}, SCORE]},
        '(Country is "SE", or company contains "nordic"), and lead score is at least 50',
    ),
    golden({"all": [SCORE, {"any": [SWEDEN]}]}, 'Lead score is at least 50, and country is "SE"'),
    golden(
        {"all": [SCORE, {"any": [SWEDEN, {"all": [NORDIC, cond("tags", "contains", "vip")]}]}]},
        'Lead score is at least 50, and (country is "SE", or'
        ' (company contains "nordic", and tags include "vip"))',
    ),
]


@pytest.mark.parametrize(("raw", "text"), GROUPS)
def test_a_nested_group_reads_in_parentheses(raw: dict[str, Any], text: str) -> None:
    assert reads_as(raw) == text


NEGATIONS = [
    golden({"not": SWEDEN}, 'Country is not "SE"'),
    golden({"not": cond("country", "neq", "SE")}, 'Country is "SE"'),
    golden({"not": cond("country", "in", ["SE", "NO"])}, "Country is not one of SE, NO"),
    golden({"not": cond("country", "not_in", ["SE", "NO"])}, "Country is one of SE, NO"),
    golden({"not": NORDIC}, 'Company does not contain "nordic"'),
    golden({"not": cond("tags", "contains", "vip")}, 'Tags do not include "vip"'),
    golden({"not": cond("tags", "contains_any", ["vip", "b2b"])}, "Tags include none of vip, b2b"),
    golden({"not": cond("tags", "contains_none", ["vip"])}, "Tags include any of vip"),
    golden({"not": cond("phone", "is_set")}, "Phone is not set"),
    golden({"not": cond("tags", "is_not_set")}, "Tags are not empty"),
    golden({"not": cond("category", "eq", "customer")}, "Category is not customer"),
    # No negative operator: "at most 50" would leave out contacts with no score.
    golden({"not": cond("lead_score", "gt", 50)}, "Not (lead score is more than 50)"),
    golden(
        {"not": {"any": [SWEDEN, NORDIC]}},
        'Not (country is "SE", or company contains "nordic")',
    ),
    golden({"all": [SCORE, {"not": SWEDEN}]}, 'Lead score is at least 50, and country is not "SE"'),
    golden(
        {"all": [SCORE, {"not": {"all": [SWEDEN, NORDIC]}}]},
        'Lead score is at least 50, and not (country is "SE", and company contains "nordic")',
    ),
]


@pytest.mark.parametrize(("raw", "text"), NEGATIONS)
def test_not_reads_as_the_negative_operator_or_in_parentheses(
    raw: dict[str, Any], text: str
) -> None:
    assert reads_as(raw) == text


def form(**keys: Any) -> dict[str, Any]:
    return {"event": "form_submitted", **keys}


CONTACT_US = {"property": "form", "op": "eq", "value": "Contact us"}

EVENTS = [
    golden(form(), "Submitted a form"),
    golden(form(where=[CONTACT_US]), 'Submitted form "Contact us"'),
    golden(form(min_count=3), "Submitted a form at least 3 times"),
    golden(form(within_days=1), "Submitted a form in the last day"),
    golden(form(within_days=7, min_count=1), "Submitted a form in the last 7 days"),
    golden({"event": "email_opened"}, "Opened an email"),
    golden({"event": "email_clicked", "within_days": 14}, "Clicked an email in the last 14 days"),
    golden({"event": "page_visited", "min_count": 5}, "Visited a page at least 5 times"),
    golden({"not": form()}, "Did not submit a form"),
    golden({"not": form(where=[CONTACT_US])}, 'Did not submit form "Contact us"'),
    golden({"not": form(within_days=30)}, "Did not submit a form in the last 30 days"),
    golden({"not": {"event": "email_opened"}}, "Did not open an email"),
    golden(
        {"all": [SCORE, {"not": {"event": "page_visited", "within_days": 90}}]},
        "Lead score is at least 50, and did not visit a page in the last 90 days",
    ),
    golden({"event": "webinar_attended"}, 'Had event "webinar_attended"'),
    golden(
        {"event": "webinar_attended", "min_count": 2, "within_days": 30},
        'Had event "webinar_attended" at least 2 times in the last 30 days',
    ),
    golden({"not": {"event": "webinar_attended"}}, 'Did not have event "webinar_attended"'),
]


@pytest.mark.parametrize(("raw", "text"), EVENTS)
def test_an_event_condition_reads_as_its_golden_sentence(raw: dict[str, Any], text: str) -> None:
    assert reads_as(raw) == text


def test_every_where_condition_is_read() -> None:
    raw = form(
        where=[
            CONTACT_US,
            {"property": "amount", "op": "gt", "value": 100},
            {"property": "utm-source", "op": "in", "value": ["ads", "mail"]},
        ]
    )

    text = reads_as(raw)

    assert text.startswith('Submitted form "Contact us"')
    assert "amount is more than 100" in text
    assert "utm-source is one of ads, mail" in text


def test_a_custom_field_reads_as_its_name_without_a_vocabulary() -> None:
    rule = parse(cond("demo_at", "within_last_days", 7), VOCABULARY)

    assert describe(rule) == "Demo at is within the last 7 days"


@given(raw=rule_trees(VOCABULARY))
def test_describe_never_fails_and_reads_every_valid_tree_as_some_text(raw: dict[str, Any]) -> None:
    text = describe(parse(raw, VOCABULARY), VOCABULARY)

    assert isinstance(text, str)
    assert text
    assert text == text.strip()
