"""Which active streams an arriving event can trigger (rule 2): by type, then `where`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from leadstreams.engine.index import LiveStream, StreamIndex
from leadstreams.rules import EventRecord, Vocabulary, parse

AT = datetime(2026, 3, 1, tzinfo=UTC)
CONTACT_US = {"property": "form", "op": "eq", "value": "Contact us"}
DEMO = {"property": "form", "op": "eq", "value": "Demo"}


def _index(*rules: dict[str, Any]) -> StreamIndex:
    vocabulary = Vocabulary.default()
    streams = [
        LiveStream.compile(id=k, version=1, rule=parse(rule, vocabulary), requalify_after_days=None)
        for k, rule in enumerate(rules, start=1)
    ]
    return StreamIndex(streams, vocabulary)


def _triggered(index: StreamIndex, type_: str, **properties: Any) -> list[int]:
    return [s.id for s in index.for_event(EventRecord(type_, AT, properties))]


def test_an_event_triggers_the_streams_that_read_its_type_and_whose_where_it_satisfies() -> None:
    index = _index(
        {"event": "form_submitted"},
        {"event": "form_submitted", "where": [CONTACT_US]},
        {"event": "page_visited"},
        {"field": "lead_score", "op": "gte", "value": 50},
    )
    assert _triggered(index, "form_submitted", form="Contact us") == [1, 2]
    assert _triggered(index, "form_submitted", form="Newsletter") == [1]
    assert _triggered(index, "page_visited", url="/") == [3]
    assert _triggered(index, "email_opened") == []


def test_conditions_on_one_type_trigger_if_any_of_them_takes_the_event() -> None:
    index = _index(
        {"any": [{"event": "form_submitted", "where": [CONTACT_US]},
                 {"event": "form_submitted", "where": [DEMO]}]},
        {"all": [{"event": "form_submitted", "where": [CONTACT_US]},
                 {"not": {"event": "form_submitted"}}]},
    )  # fmt: skip
    assert _triggered(index, "form_submitted", form="Demo") == [1, 2]
    assert _triggered(index, "form_submitted", form="contact us") == [1, 2]
    assert _triggered(index, "form_submitted", form="Other") == [2]


def test_a_field_change_finds_the_streams_that_read_the_field() -> None:
    index = _index(
        {"field": "lead_score", "op": "gte", "value": 50},
        {"all": [{"field": "country", "op": "eq", "value": "SE"}, {"event": "page_visited"}]},
    )
    assert sorted(s.id for s in index.for_fields({"lead_score", "country"})) == [1, 2]
    assert [s.id for s in index.for_fields({"country"})] == [2]
    assert index.for_fields({"city"}) == []


def test_streams_that_share_a_where_share_its_test() -> None:
    shared = {"event": "form_submitted", "where": [CONTACT_US]}
    index = _index(
        shared,
        {"all": [{"field": "lead_score", "op": "gte", "value": 50}, shared]},
        {"event": "form_submitted", "where": [DEMO]},
        {"any": [shared, {"event": "form_submitted", "where": [DEMO], "min_count": 2}]},
    )
    assert _triggered(index, "form_submitted", form="Contact us") == [1, 2, 4]
    assert _triggered(index, "form_submitted", form="Demo") == [3, 4]
    assert _triggered(index, "form_submitted", form="Other") == []
    assert len(index._by_event_type["form_submitted"].tests) == 2  # one per distinct where
