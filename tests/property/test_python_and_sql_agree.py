"""The Python predicate and the SQL expression select the same contacts, for random rule trees
over random contacts and events, on every database backend (rules.md: one meaning)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import Engine

from leadstreams.rules import EventRecord, FieldType, Op, parse
from leadstreams.rules.fields import OPERATORS, PROPERTY_OPERATORS
from tests.support.rules_world import (
    NOW,
    VOCABULARY,
    Contact,
    python_matches,
    query_matches,
    sql_matches,
)

# Small pools so that rule values and data collide often, around every boundary that matters.
STRINGS = [
    "",
    "se",
    "SE",
    "Se",
    "nordic",
    "Nordic AB",
    "göteborg",
    "GÖTEBORG",
    "50%",
    "500",
    "a_b",
    "axb",
    " se",
    "É",
    "é",
    "x",
    "ΟΔΟΣ",
    "οδος",
    "İstanbul",
    "istanbul",
]
RULE_STRINGS = [
    "se",
    "SE",
    "nordic",
    "göteborg",
    "Göteborg",
    "50%",
    "a_b",
    "é",
    "b",
    "x",
    "οδος",
    "ΟΔΟΣ",
    "İ",
    "i",
]
NUMBERS = [-1, 0, 49, 49.5, 50, 50.0, 51, 100]
DAYS = [0, 1, 3, 30]
DATETIMES = [NOW - timedelta(days=d, microseconds=m) for d in DAYS for m in (-1, 0, 1)]
TAGS = ["vip", "VIP", "b2b", "Göteborg", "x", "İ", "i"]
EVENT_TYPES = ["form_submitted", "email_opened", "webinar_attended"]
PROPERTY_VALUES: list[Any] = [*STRINGS, *NUMBERS, True, False, None, "5"]
PROPERTIES = ["form", "amount", "flag"]

_SCALARS: dict[FieldType, st.SearchStrategy[Any]] = {
    FieldType.STRING: st.sampled_from(RULE_STRINGS),
    FieldType.NUMBER: st.sampled_from(NUMBERS),
    FieldType.BOOLEAN: st.booleans(),
    FieldType.DATETIME: st.sampled_from(DATETIMES).map(lambda d: d.isoformat()),
    FieldType.TAGS: st.sampled_from(TAGS),
}
_LIST_OPS = {Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.CONTAINS_ALL, Op.CONTAINS_NONE}


@st.composite
def _value(draw: st.DrawFn, type_: FieldType, op: Op, allowed: tuple[str, ...] = ()) -> Any:
    scalar = st.sampled_from(allowed) if type_ is FieldType.ENUM else _SCALARS[type_]
    if op is Op.WITHIN_LAST_DAYS:
        return draw(st.sampled_from(DAYS[1:]))
    if op is Op.MORE_THAN_DAYS_AGO:
        return draw(st.sampled_from(DAYS))
    if op is Op.BETWEEN:
        return sorted(draw(st.lists(scalar, min_size=2, max_size=2)))
    if op in _LIST_OPS:
        return draw(st.lists(scalar, min_size=1, max_size=3))
    return draw(scalar)


@st.composite
def field_conditions(draw: st.DrawFn) -> dict[str, Any]:
    definition = draw(
        st.sampled_from(
            [f for f in VOCABULARY.fields.values() if f.name not in ("lead_stage", "email")]
        )
    )
    op = draw(st.sampled_from(OPERATORS[definition.type]))
    raw = {"field": definition.name, "op": str(op)}
    if op not in (Op.IS_SET, Op.IS_NOT_SET):
        raw["value"] = draw(_value(definition.type, op, definition.values))
    return raw


@st.composite
def property_conditions(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from([*PROPERTY_OPERATORS, None]))
    raw: dict[str, Any] = {"property": draw(st.sampled_from(PROPERTIES))}
    if kind is None:
        raw["op"] = draw(st.sampled_from(["is_set", "is_not_set"]))
        return raw
    op = draw(st.sampled_from(PROPERTY_OPERATORS[kind]))
    raw["op"] = str(op)
    raw["value"] = draw(_value(kind, op))
    return raw


@st.composite
def event_conditions(draw: st.DrawFn) -> dict[str, Any]:
    raw: dict[str, Any] = {"event": draw(st.sampled_from(EVENT_TYPES))}
    where = draw(st.lists(property_conditions(), max_size=2))
    if where:
        raw["where"] = where
    raw["min_count"] = draw(st.sampled_from([1, 1, 2, 3]))
    within = draw(st.sampled_from([None, 1, 3, 30]))
    if within is not None:
        raw["within_days"] = within
    return raw


rule_trees = st.recursive(
    st.one_of(field_conditions(), event_conditions()),
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda rules: {"all": rules}),
        st.lists(inner, min_size=1, max_size=3).map(lambda rules: {"any": rules}),
        inner.map(lambda rule: {"not": rule}),
    ),
    max_leaves=6,
)


def _field_value(type_: FieldType, allowed: tuple[str, ...]) -> st.SearchStrategy[Any]:
    match type_:
        case FieldType.STRING:
            return st.sampled_from([None, *STRINGS])
        case FieldType.NUMBER:
            return st.sampled_from([None, *NUMBERS])
        case FieldType.BOOLEAN:
            return st.sampled_from([None, True, False])
        case FieldType.DATETIME:
            return st.sampled_from([None, *DATETIMES, NOW + timedelta(days=1)])
        case FieldType.ENUM:
            return st.sampled_from([None, *allowed])
        case FieldType.TAGS:
            return st.lists(st.sampled_from(TAGS), max_size=3, unique_by=str.lower)
    raise AssertionError(type_)


@st.composite
def event_records(draw: st.DrawFn) -> EventRecord:
    properties = {
        name: value
        for name in PROPERTIES
        if (value := draw(st.sampled_from(["<missing>", *PROPERTY_VALUES]))) != "<missing>"
    }
    when = draw(st.sampled_from([*DATETIMES, NOW - timedelta(days=400)]))
    return EventRecord(draw(st.sampled_from(EVENT_TYPES)), when, properties)


@st.composite
def contacts(draw: st.DrawFn) -> Contact:
    fields: dict[str, Any] = {}
    for definition in VOCABULARY.fields.values():
        if definition.name in ("email", "lead_stage"):
            continue
        value = draw(_field_value(definition.type, definition.values))
        if definition.name == "category":
            value = value or "prospect"
        if definition.name in ("created_at", "updated_at"):
            value = value or NOW
        if definition.name == "lead_score":
            value = 0 if value is None else int(value)
        if value is not None:
            fields[definition.name] = value
    fields["country"] = draw(st.sampled_from([None, "SE", "se", "NO", "DK", ""]))
    return Contact(fields, draw(st.lists(event_records(), max_size=4)))


@given(raw=rule_trees, people=st.lists(contacts(), min_size=1, max_size=6))
def test_python_predicate_and_sql_select_the_same_contacts(
    engine: Engine, raw: dict[str, Any], people: list[Contact]
) -> None:
    rule = parse(raw, VOCABULARY)
    expected = python_matches(rule, people)
    event(
        "matches: "
        + ("none" if not expected else "all" if len(expected) == len(people) else "some")
    )
    assert expected == sql_matches(engine, rule, people)
    assert expected == query_matches(engine, rule, bound=True)  # "now" as named parameters
