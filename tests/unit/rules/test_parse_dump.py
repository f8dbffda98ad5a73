"""`dump` writes a rule tree back as the JSON it was parsed from: `parse(dump(t)) == t`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given

from leadstreams.rules import (
    AllOf,
    EventCondition,
    FieldCondition,
    FieldType,
    Not,
    Op,
    PropertyCondition,
    dump,
    parse,
)
from tests.support.rule_trees import rule_trees
from tests.support.rules_world import VOCABULARY


def value_of(raw: dict[str, Any]) -> Any:
    rule = parse(raw, VOCABULARY)
    assert isinstance(rule, FieldCondition)
    return rule.value


@given(raw=rule_trees(VOCABULARY))
def test_parsing_a_dumped_tree_gives_the_same_tree(raw: dict[str, Any]) -> None:
    tree = parse(raw, VOCABULARY)

    assert parse(dump(tree), VOCABULARY) == tree


@given(raw=rule_trees(VOCABULARY))
def test_a_dumped_tree_survives_json_and_dumps_the_same_again(raw: dict[str, Any]) -> None:
    dumped = dump(parse(raw, VOCABULARY))

    assert dump(parse(json.loads(json.dumps(dumped)), VOCABULARY)) == dumped


def test_the_spec_example_dumps_as_written() -> None:
    raw = {
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
    }

    assert dump(parse(raw, VOCABULARY)) == raw


def test_a_parsed_tree_is_made_of_typed_frozen_nodes() -> None:
    raw = {
        "all": [
            {"not": {"field": "nps", "op": "between", "value": [0, 6]}},
            {
                "event": "page_visited",
                "where": [{"property": "path", "op": "starts_with", "value": "/pricing"}],
            },
        ]
    }

    assert parse(raw, VOCABULARY) == AllOf(
        (
            Not(FieldCondition("nps", Op.BETWEEN, (0, 6), FieldType.NUMBER)),
            EventCondition(
                "page_visited",
                where=(PropertyCondition("path", Op.STARTS_WITH, "/pricing", FieldType.STRING),),
            ),
        )
    )


def test_a_naive_datetime_is_taken_as_utc() -> None:
    raw = {"field": "demo_at", "op": "before", "value": "2026-06-01T12:30:00"}

    assert value_of(raw) == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    assert dump(parse(raw, VOCABULARY))["value"] == "2026-06-01T12:30:00Z"


def test_a_datetime_with_an_offset_is_converted_to_utc() -> None:
    raw = {"field": "demo_at", "op": "after", "value": "2026-06-01T14:30:00+02:00"}

    value = value_of(raw)

    assert value == datetime(2026, 6, 1, 12, 30, tzinfo=UTC)
    assert value.utcoffset() == timedelta(0)
    assert dump(parse(raw, VOCABULARY))["value"] == "2026-06-01T12:30:00Z"


def test_a_date_is_midnight_utc() -> None:
    raw = {"field": "created_at", "op": "before", "value": "2026-06-01"}

    assert value_of(raw) == datetime(2026, 6, 1, tzinfo=UTC)


def test_the_same_instant_written_three_ways_parses_to_equal_trees() -> None:
    spellings = ["2026-06-01T00:00:00Z", "2026-06-01T02:00:00+02:00", "2026-05-31T19:00:00-05:00"]

    trees = {
        parse({"field": "demo_at", "op": "after", "value": spelling}, VOCABULARY)
        for spelling in spellings
    }

    assert len(trees) == 1


def test_microseconds_come_back() -> None:
    low, high = "2026-06-01T00:00:00.000001Z", "2026-06-01T00:00:00.999999Z"
    raw = {"field": "demo_at", "op": "between", "value": [low, high]}

    tree = parse(raw, VOCABULARY)

    assert dump(tree) == raw
    assert parse(dump(tree), VOCABULARY) == tree


def test_an_enum_value_is_written_in_its_canonical_spelling() -> None:
    raw = {"field": "category", "op": "eq", "value": "Customer"}

    assert value_of(raw) == "customer"
    assert dump(parse(raw, VOCABULARY)) == {"field": "category", "op": "eq", "value": "customer"}


def test_enum_values_in_a_list_are_canonicalised_and_collapse() -> None:
    raw = {"field": "plan", "op": "in", "value": ["PRO", "enterprise", "Pro"]}

    assert value_of(raw) == ("pro", "enterprise")


def test_duplicate_list_values_collapse_in_their_first_order() -> None:
    raw = {"field": "country", "op": "in", "value": ["SE", "NO", "SE", "DK", "NO"]}

    assert value_of(raw) == ("SE", "NO", "DK")
    assert dump(parse(raw, VOCABULARY))["value"] == ["SE", "NO", "DK"]


def test_duplicate_tags_and_property_values_collapse() -> None:
    tags = {"field": "tags", "op": "contains_all", "value": ["vip", "vip"]}
    event = {
        "event": "form_submitted",
        "where": [{"property": "amount", "op": "in", "value": [5, 5.0, 6]}],
    }

    assert value_of(tags) == ("vip",)
    assert dump(parse(event, VOCABULARY))["where"][0]["value"] == [5, 6]


def test_defaults_are_left_out_of_the_dump() -> None:
    raw = {"event": "form_submitted", "where": [], "min_count": 1, "within_days": None}

    assert dump(parse(raw, VOCABULARY)) == {"event": "form_submitted"}


def test_is_set_is_dumped_without_a_value() -> None:
    raw = {"field": "phone", "op": "is_set", "value": None}

    assert dump(parse(raw, VOCABULARY)) == {"field": "phone", "op": "is_set"}
