"""An explanation of one evaluation says which conditions held, and with which values
(rules.md, "Reading back"). It must agree with the compiled predicate on every node."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from hypothesis import given

from leadstreams.rules import (
    AllOf,
    AnyOf,
    EventRecord,
    Not,
    Rule,
    compile_predicate,
    explain,
    parse,
)
from tests.support.rule_trees import contacts, rule_trees
from tests.support.rules_world import NOW, VOCABULARY, Contact

RULE = parse(
    {
        "all": [
            {"field": "lead_score", "op": "gte", "value": 50},
            {
                "any": [
                    {"field": "country", "op": "in", "value": ["SE", "NO", "DK"]},
                    {"field": "company", "op": "contains", "value": "nordic"},
                ]
            },
            {"not": {"field": "category", "op": "eq", "value": "customer"}},
            {
                "event": "form_submitted",
                "where": [{"property": "form", "op": "eq", "value": "Contact us"}],
                "min_count": 2,
                "within_days": 30,
            },
        ]
    },
    VOCABULARY,
)
TEXT = (
    "Lead score is at least 50, and (country is one of SE, NO, DK, or company contains"
    ' "nordic"), and category is not customer, and submitted form "Contact us" at least 2 times'
    " in the last 30 days"
)


def submitted(form: str, days_ago: float) -> EventRecord:
    return EventRecord("form_submitted", NOW - timedelta(days=days_ago), {"form": form})


def test_a_match_is_explained_condition_by_condition_with_the_values_seen() -> None:
    fields = {"lead_score": 70, "country": "se", "category": "prospect"}
    events = [
        submitted("Contact us", 1),
        submitted("contact US", 29),
        submitted("Contact us", 40),  # too long ago
        submitted("Pricing", 2),  # another form
        EventRecord("page_visited", NOW, {"form": "Contact us"}),  # another type
    ]

    assert explain(RULE, fields, events, NOW, VOCABULARY) == {
        "held": True,
        "text": TEXT,
        "all": [
            {"held": True, "text": "Lead score is at least 50", "field": "lead_score", "seen": 70},
            {
                "held": True,
                "text": 'Country is one of SE, NO, DK, or company contains "nordic"',
                "any": [
                    {
                        "held": True,
                        "text": "Country is one of SE, NO, DK",
                        "field": "country",
                        "seen": "se",
                    },
                    {
                        "held": False,
                        "text": 'Company contains "nordic"',
                        "field": "company",
                        "seen": None,
                    },
                ],
            },
            {
                "held": True,
                "text": "Category is not customer",
                "not": {
                    "held": False,
                    "text": "Category is customer",
                    "field": "category",
                    "seen": "prospect",
                },
            },
            {
                "held": True,
                "text": 'Submitted form "Contact us" at least 2 times in the last 30 days',
                "event": "form_submitted",
                "count": 2,
                "min_count": 2,
                "within_days": 30,
            },
        ],
    }


def test_a_miss_is_explained_with_every_branch_evaluated() -> None:
    fields = {"lead_score": 10, "country": "FI", "company": "Nordic AB", "category": "customer"}
    events = [submitted("Contact us", 3), submitted("Contact us", 31)]

    explanation = explain(RULE, fields, events, NOW, VOCABULARY)

    score, place, not_customer, contact_us = explanation["all"]
    assert explanation["held"] is False
    assert (score["held"], score["seen"]) == (False, 10)
    assert place["held"] is True
    assert [(m["held"], m["seen"]) for m in place["any"]] == [(False, "FI"), (True, "Nordic AB")]
    assert not_customer["held"] is False
    assert (not_customer["not"]["held"], not_customer["not"]["seen"]) == (True, "customer")
    assert (contact_us["held"], contact_us["count"]) == (False, 1)


def test_an_event_count_is_the_full_count_not_stopped_at_min_count() -> None:
    rule = parse({"event": "form_submitted", "min_count": 2}, VOCABULARY)
    events = [submitted(f"form {n}", n) for n in range(5)]

    explanation = explain(rule, {}, events, NOW, VOCABULARY)

    assert (explanation["held"], explanation["count"]) == (True, 5)
    assert (explanation["min_count"], explanation["within_days"]) == (2, None)


def test_a_missed_event_condition_under_not_explains_the_count() -> None:
    rule = parse({"not": {"event": "email_opened", "within_days": 7}}, VOCABULARY)
    events = [EventRecord("email_opened", NOW - timedelta(days=8), {})]

    assert explain(rule, {}, events, NOW, VOCABULARY) == {
        "held": True,
        "text": "Did not open an email in the last 7 days",
        "not": {
            "held": False,
            "text": "Opened an email in the last 7 days",
            "event": "email_opened",
            "count": 0,
            "min_count": 1,
            "within_days": 7,
        },
    }


def test_the_values_seen_are_ready_for_json() -> None:
    rule = parse(
        {
            "all": [
                {"field": "demo_at", "op": "within_last_days", "value": 7},
                {"field": "interests", "op": "contains", "value": "AI"},
                {"field": "newsletter", "op": "eq", "value": True},
                {"field": "nps", "op": "gte", "value": 9},
            ]
        },
        VOCABULARY,
    )
    fields = {"demo_at": NOW - timedelta(days=5), "interests": {"data", "ai"}, "nps": 9.5}

    explanation = explain(rule, fields, [], NOW, VOCABULARY)

    seen = [(leaf["held"], leaf["seen"]) for leaf in explanation["all"]]
    assert seen == [
        (True, "2026-06-10T12:00:00Z"),
        (True, ["ai", "data"]),  # sorted, so explanations compare and log stably
        (False, None),
        (True, 9.5),
    ]
    assert json.loads(json.dumps(explanation)) == explanation


def _subtrees(rule: Rule, explanation: dict[str, Any]) -> list[tuple[Rule, dict[str, Any]]]:
    """Every node of the rule with the part of the explanation about it."""
    pairs = [(rule, explanation)]
    match rule:
        case AllOf(rules) | AnyOf(rules):
            key = "all" if isinstance(rule, AllOf) else "any"
            for member, part in zip(rules, explanation[key], strict=True):
                pairs += _subtrees(member, part)
        case Not(inner):
            pairs += _subtrees(inner, explanation["not"])
    return pairs


@given(raw=rule_trees(VOCABULARY), contact=contacts(VOCABULARY))
def test_every_node_of_an_explanation_agrees_with_the_compiled_predicate(
    raw: dict[str, Any], contact: Contact
) -> None:
    rule = parse(raw, VOCABULARY)

    explanation = explain(rule, contact.fields, contact.events, NOW, VOCABULARY)

    assert explanation["held"] == compile_predicate(rule)(contact.fields, contact.events, NOW)
    for node, part in _subtrees(rule, explanation):
        assert part["held"] == compile_predicate(node)(contact.fields, contact.events, NOW)
