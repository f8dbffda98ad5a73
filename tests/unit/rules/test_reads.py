"""What a rule reads: its fields, and the event conditions that can trigger it
(rules.md, "What a rule reads")."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from leadstreams.rules import (
    EventCondition,
    EventRecord,
    compile_event_filter,
    parse,
    reads,
)
from tests.support.rules_world import NOW, VOCABULARY

CONTACT_US = {"property": "form", "op": "eq", "value": "Contact us"}


def event_condition(raw: dict[str, Any]) -> EventCondition:
    condition = parse(raw, VOCABULARY)
    assert isinstance(condition, EventCondition)
    return condition


def test_a_tree_reads_its_fields_and_event_conditions_wherever_they_are() -> None:
    rule = parse(
        {
            "all": [
                {"field": "lead_score", "op": "gte", "value": 50},
                {
                    "any": [
                        {"field": "country", "op": "in", "value": ["SE", "NO"]},
                        {"not": {"field": "nps", "op": "is_set"}},
                        {"event": "webinar_attended", "within_days": 30},
                    ]
                },
                {"not": {"any": [{"field": "tags", "op": "contains", "value": "vip"}]}},
                {"not": {"event": "form_submitted", "where": [CONTACT_US], "min_count": 2}},
            ]
        },
        VOCABULARY,
    )

    read = reads(rule)

    assert read.fields == {"lead_score", "country", "nps", "tags"}
    assert read.events == (
        event_condition({"event": "webinar_attended", "within_days": 30}),
        event_condition({"event": "form_submitted", "where": [CONTACT_US], "min_count": 2}),
    )
    assert read.event_types == {"webinar_attended", "form_submitted"}


def test_a_field_or_event_condition_read_twice_is_listed_once() -> None:
    score = {"field": "lead_score", "op": "gte", "value": 50}
    opened = {"event": "email_opened", "within_days": 7}
    rule = parse(
        {
            "any": [
                {"all": [score, opened]},
                {"all": [{"field": "lead_score", "op": "lt", "value": 10}, opened]},
                {"not": opened},
            ]
        },
        VOCABULARY,
    )

    read = reads(rule)

    assert read.fields == {"lead_score"}
    assert read.events == (event_condition(opened),)


def test_two_conditions_on_one_event_type_are_both_listed() -> None:
    any_form = {"event": "form_submitted"}
    contact_us = {"event": "form_submitted", "where": [CONTACT_US]}

    read = reads(parse({"all": [any_form, contact_us]}, VOCABULARY))

    assert read.events == (event_condition(any_form), event_condition(contact_us))
    assert read.event_types == {"form_submitted"}


def test_a_tree_of_fields_reads_no_events() -> None:
    read = reads(parse({"field": "demo_at", "op": "within_last_days", "value": 3}, VOCABULARY))

    assert read.fields == {"demo_at"}
    assert read.events == ()
    assert read.event_types == frozenset()


def test_a_tree_of_events_reads_no_fields() -> None:
    read = reads(parse({"event": "page_visited"}, VOCABULARY))

    assert read.fields == frozenset()
    assert read.event_types == {"page_visited"}


# compile_event_filter: whether one arriving event can trigger the condition (type and
# `where`), whatever the count and the time window.

BIG_CONTACT_FORM = event_condition(
    {
        "event": "form_submitted",
        "where": [CONTACT_US, {"property": "amount", "op": "gt", "value": 100}],
        "min_count": 3,
        "within_days": 1,
    }
)
LONG_AGO = NOW - timedelta(days=400)


@pytest.mark.parametrize(
    "properties",
    [
        pytest.param({"form": "Contact us", "amount": 150}, id="exactly as written"),
        pytest.param({"form": "CONTACT US", "amount": 100.5, "page": "/"}, id="any case, extras"),
    ],
)
def test_an_event_of_the_type_that_satisfies_where_is_accepted(properties: dict[str, Any]) -> None:
    accepts = compile_event_filter(BIG_CONTACT_FORM)

    # One event, long ago, though the condition wants 3 in the last day.
    assert accepts(EventRecord("form_submitted", LONG_AGO, properties))


@pytest.mark.parametrize(
    "event",
    [
        pytest.param(
            EventRecord("page_visited", NOW, {"form": "Contact us", "amount": 150}),
            id="another type",
        ),
        pytest.param(
            EventRecord("form_submitted", NOW, {"form": "Pricing", "amount": 150}),
            id="another form",
        ),
        pytest.param(
            EventRecord("form_submitted", NOW, {"form": "Contact us", "amount": 100}),
            id="amount on the boundary",
        ),
        pytest.param(
            EventRecord("form_submitted", NOW, {"form": "Contact us", "amount": "150"}),
            id="amount of another kind",
        ),
        pytest.param(EventRecord("form_submitted", NOW, {"form": "Contact us"}), id="no amount"),
        pytest.param(EventRecord("form_submitted", NOW, {}), id="no properties"),
    ],
)
def test_an_event_of_another_type_or_failing_where_is_rejected(event: EventRecord) -> None:
    assert not compile_event_filter(BIG_CONTACT_FORM)(event)


def test_without_where_every_event_of_the_type_is_accepted() -> None:
    accepts = compile_event_filter(event_condition({"event": "email_opened", "min_count": 5}))

    assert accepts(EventRecord("email_opened", LONG_AGO, {}))
    assert not accepts(EventRecord("email_clicked", LONG_AGO, {}))


def test_a_negative_where_accepts_an_event_without_the_property() -> None:
    condition = event_condition(
        {
            "event": "page_visited",
            "where": [{"property": "path", "op": "not_contains", "value": "/careers"}],
        }
    )
    accepts = compile_event_filter(condition)

    assert accepts(EventRecord("page_visited", NOW, {}))
    assert accepts(EventRecord("page_visited", NOW, {"path": "/pricing"}))
    assert not accepts(EventRecord("page_visited", NOW, {"path": "/Careers/jobs"}))


def test_the_oldest_event_needed_is_the_widest_window_back_from_now() -> None:
    from datetime import UTC, datetime, timedelta

    from leadstreams.rules import Vocabulary, parse, reads

    now = datetime(2026, 6, 15, tzinfo=UTC)
    vocabulary = Vocabulary.default()

    def since(raw: dict[str, object]) -> datetime | None:
        return reads(parse(raw, vocabulary)).events_since(now)

    windowed = {"all": [{"event": "form_submitted", "within_days": 30},
                        {"event": "page_visited", "within_days": 90}]}  # fmt: skip
    assert since(windowed) == now - timedelta(days=90)
    unbounded = {"any": [{"event": "form_submitted", "within_days": 30},
                         {"event": "email_opened"}]}  # fmt: skip
    assert since(unbounded) is None  # an event condition without a window reads all time
    assert since({"field": "lead_score", "op": "gte", "value": 1}) is None
