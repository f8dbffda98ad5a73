"""Which active streams an arriving event can trigger (rule 2): by type, then `where`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

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


def _reached(index: StreamIndex, score: object) -> list[int]:
    return sorted(s.id for s in index.for_score(score))


def test_a_score_change_evaluates_the_streams_on_lead_score_its_value_can_satisfy() -> None:
    score = {"field": "lead_score", "op": "gte", "value": 50}
    index = _index(
        score,  # 1: at 50 or more
        {"all": [{"field": "lead_score", "op": "gt", "value": 50}, {"event": "form_submitted"}]},
        {"field": "lead_score", "op": "between", "value": [20, 30]},  # 3: from 20
        {"field": "lead_score", "op": "lt", "value": 10},  # 4: no floor
        {"any": [score, {"event": "page_visited"}]},  # 5: no floor (an alternative)
        {"field": "country", "op": "eq", "value": "SE"},  # 6: does not read the score
        {"not": score},  # 7: no floor
    )
    assert _reached(index, 0) == [4, 5, 7]
    assert _reached(index, 20) == [3, 4, 5, 7]
    assert _reached(index, 50) == [1, 3, 4, 5, 7]
    assert _reached(index, 51) == [1, 2, 3, 4, 5, 7]
    assert _reached(index, None) == [4, 5, 7]


SCORE_OPS = ["gte", "gt", "eq", "lt", "lte", "neq", "between"]


@given(
    st.lists(
        st.tuples(st.sampled_from(SCORE_OPS), st.integers(-5, 5), st.integers(0, 3),
                  st.booleans()),
        min_size=1, max_size=6,
    ),
    st.integers(-8, 8),
)  # fmt: skip
def test_the_streams_a_score_leaves_out_are_false_at_that_score(
    specs: list[tuple[str, int, int, bool]], score: int
) -> None:
    """Every stream on `lead_score` whose predicate holds at a score is among those the score
    reaches: skipping the others changes nothing."""
    rules = []
    for op, value, width, with_country in specs:
        condition = {"field": "lead_score", "op": op,
                     "value": [value, value + width] if op == "between" else value}  # fmt: skip
        country = {"field": "country", "op": "eq", "value": "SE"}
        rules.append({"all": [country, condition]} if with_country else condition)
    index = _index(*rules)
    fields = {"lead_score": score, "country": "SE"}
    holding = sorted(s.id for s in index.for_fields(["lead_score"]) if s.predicate(fields, [], AT))
    assert set(holding) <= set(_reached(index, score))
