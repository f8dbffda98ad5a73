"""The compiled forms test the branches of an `all` or `any` that read only fields before
those that count events; the answer stays the rule's (tests/property checks it broadly)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy.dialects import sqlite

from leadstreams.rules import EventRecord, compile_predicate, parse
from leadstreams.rules.compile_sql import to_sql
from leadstreams.rules.order import cheap_first, reads_events
from leadstreams.store.rule_columns import sql_columns
from tests.support.rules_world import NOW, VOCABULARY

ASKED = {"event": "form_submitted", "min_count": 2, "within_days": 30}
SCORE = {"field": "lead_score", "op": "gte", "value": 50}
NORDIC = {"field": "country", "op": "in", "value": ["SE", "NO"]}


class Untouchable(list[EventRecord]):
    """A contact's events that fail the test if anything walks them."""

    def __iter__(self) -> Iterator[EventRecord]:
        raise AssertionError("the events were counted before the fields were tested")


def predicate(raw: dict[str, Any]) -> Any:
    return compile_predicate(parse(raw, VOCABULARY))


def test_an_all_stated_event_first_fails_on_its_field_without_counting_events() -> None:
    match = predicate({"all": [ASKED, SCORE]})
    assert match({"lead_score": 10}, Untouchable(), NOW) is False


def test_an_any_stated_event_first_holds_on_its_field_without_counting_events() -> None:
    match = predicate({"any": [ASKED, SCORE]})
    assert match({"lead_score": 90}, Untouchable(), NOW) is True


def test_a_nested_branch_that_counts_events_goes_after_the_field_tests() -> None:
    match = predicate({"all": [{"any": [ASKED, {"not": NORDIC}]}, NORDIC, SCORE]})
    assert match({"lead_score": 90, "country": "DE"}, Untouchable(), NOW) is False


def test_the_events_are_still_counted_when_the_fields_hold() -> None:
    match = predicate({"all": [ASKED, SCORE]})
    recent = EventRecord("form_submitted", NOW, {})
    assert match({"lead_score": 90}, [recent, recent], NOW) is True
    assert match({"lead_score": 90}, [recent], NOW) is False


def test_the_order_is_stable_among_branches_of_the_same_kind() -> None:
    rule = parse({"all": [ASKED, SCORE, {"event": "page_visited"}, NORDIC]}, VOCABULARY)
    branches = rule.rules  # type: ignore[union-attr]
    assert cheap_first(branches) == (branches[1], branches[3], branches[0], branches[2])
    assert [reads_events(b) for b in branches] == [True, False, True, False]
    assert reads_events(parse({"not": {"any": [NORDIC, ASKED]}}, VOCABULARY))


def test_sql_tests_the_field_before_the_correlated_event_count() -> None:
    rule = parse({"all": [ASKED, SCORE]}, VOCABULARY)
    clause = to_sql(rule, sql_columns(VOCABULARY), now=NOW)
    text = str(clause.compile(dialect=sqlite.dialect()))
    assert text.index("lead_score") < text.index("events")
