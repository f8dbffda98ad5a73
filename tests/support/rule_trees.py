"""Hypothesis strategies for the rule language.

`rule_trees(vocabulary)` draws raw JSON rule trees that are valid by construction: every field
of the vocabulary with every operator of its type, event conditions with `where`, `min_count`
and `within_days`, nested `all` / `any` / `not` groups. `contacts(vocabulary)` draws contacts
(fields and events) whose values sit on and around the same pools, so that random rules match
some contacts, miss others, and meet every boundary that matters: case, missing values, empty
strings, number and time edges.

Both take `values`, the pools to draw from; `RuleValues.around(now)` gives the default ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import strategies as st

from leadstreams.rules import EventRecord, FieldType, Op, Vocabulary
from leadstreams.rules.fields import OPERATORS, PROPERTY_OPERATORS, FieldDef
from tests.support.rules_world import NOW, Contact

RawRule = dict[str, Any]

_LIST_OPS = (Op.IN, Op.NOT_IN, Op.CONTAINS_ANY, Op.CONTAINS_ALL, Op.CONTAINS_NONE)
_DAY_OPS = (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO)
_NO_VALUE_OPS = (Op.IS_SET, Op.IS_NOT_SET)
_MICROSECOND = timedelta(microseconds=1)
_PLUS_TWO = timezone(timedelta(hours=2))


@dataclass(frozen=True)
class RuleValues:
    """The pools that rule values (and, varied, contact values) are drawn from."""

    now: datetime
    strings: tuple[str, ...]
    numbers: tuple[int | float, ...]
    instants: tuple[datetime, ...]  # before / after / between, all aware (UTC)
    days: tuple[int, ...]  # within_last_days / more_than_days_ago
    tags: tuple[str, ...]
    properties: tuple[str, ...]  # property names inside `where`
    min_counts: tuple[int, ...] = (1, 2, 3)
    windows: tuple[int, ...] = (1, 3, 30)  # within_days

    @classmethod
    def around(cls, now: datetime) -> RuleValues:
        midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
        return cls(
            now=now,
            strings=(
                "se",
                "SE",
                "nordic",
                "Nordic AB",
                "göteborg",
                "Contact us",
                "50%",
                "a_b",
                "É",
                'say "hi"',
                "x" * 1000,
            ),
            numbers=(-1, 0, 49.5, 50, 100, 10**15),
            instants=(
                now,
                now - timedelta(days=1),
                midnight - timedelta(days=14),
                now - timedelta(days=30, seconds=5, microseconds=250),
            ),
            days=(0, 1, 3, 30),
            tags=("vip", "VIP", "b2b", "Göteborg", "x"),
            properties=("form", "amount", "flag", "utm-source"),
        )


DEFAULT_VALUES = RuleValues.around(NOW)


# --- rule trees --------------------------------------------------------------------------------


def rule_trees(
    vocabulary: Vocabulary, values: RuleValues = DEFAULT_VALUES, *, max_depth: int = 4
) -> st.SearchStrategy[RawRule]:
    """Raw JSON rule trees, valid over `vocabulary`, nested at most `max_depth` levels.

    Groups have at most 3 members and events at most 2 `where` conditions, so a tree of depth
    4 stays within the limit of 100 conditions.
    """
    leaves = st.one_of(field_conditions(vocabulary, values), event_conditions(vocabulary, values))
    trees = leaves
    for _ in range(max_depth - 1):
        trees = st.one_of(leaves, _groups(trees))
    return trees


def _groups(members: st.SearchStrategy[RawRule]) -> st.SearchStrategy[RawRule]:
    listed = st.lists(members, min_size=1, max_size=3)
    return st.one_of(
        listed.map(lambda rules: {"all": rules}),
        listed.map(lambda rules: {"any": rules}),
        members.map(lambda rule: {"not": rule}),
    )


@st.composite
def field_conditions(
    draw: st.DrawFn, vocabulary: Vocabulary, values: RuleValues = DEFAULT_VALUES
) -> RawRule:
    definition = draw(st.sampled_from(list(vocabulary.fields.values())))
    op = draw(st.sampled_from(OPERATORS[definition.type]))
    raw: RawRule = {"field": definition.name, "op": str(op)}
    if op not in _NO_VALUE_OPS:
        raw["value"] = draw(_value(_field_scalars(definition, values), op, values))
    return raw


@st.composite
def event_conditions(
    draw: st.DrawFn, vocabulary: Vocabulary, values: RuleValues = DEFAULT_VALUES
) -> RawRule:
    raw: RawRule = {"event": draw(st.sampled_from(sorted(vocabulary.event_types)))}
    where = draw(st.none() | st.lists(property_conditions(values), max_size=2))
    if where is not None:
        raw["where"] = where
    min_count = draw(st.none() | st.sampled_from(values.min_counts))
    if min_count is not None:
        raw["min_count"] = min_count
    # Absent and null both mean "all time".
    within = draw(st.sampled_from(["absent", None, *values.windows]))
    if within != "absent":
        raw["within_days"] = within
    return raw


@st.composite
def property_conditions(draw: st.DrawFn, values: RuleValues = DEFAULT_VALUES) -> RawRule:
    raw: RawRule = {"property": draw(st.sampled_from(values.properties))}
    kind = draw(st.sampled_from([*PROPERTY_OPERATORS, None]))
    if kind is None:  # is_set / is_not_set: any kind of value
        raw["op"] = draw(st.sampled_from([str(op) for op in _NO_VALUE_OPS]))
        return raw
    op = draw(st.sampled_from(PROPERTY_OPERATORS[kind]))
    raw["op"] = str(op)
    scalars = {
        FieldType.STRING: st.sampled_from(values.strings),
        FieldType.NUMBER: st.sampled_from(values.numbers),
        FieldType.BOOLEAN: st.booleans(),
    }[kind]
    raw["value"] = draw(_value(scalars, op, values))
    return raw


def _field_scalars(definition: FieldDef, values: RuleValues) -> st.SearchStrategy[Any]:
    match definition.type:
        case FieldType.STRING:
            return st.sampled_from(values.strings)
        case FieldType.NUMBER:
            return st.sampled_from(values.numbers)
        case FieldType.BOOLEAN:
            return st.booleans()
        case FieldType.DATETIME:
            return st.sampled_from(values.instants)  # written out by _value
        case FieldType.ENUM:
            # Any spelling of an allowed value is valid; parse canonicalises it.
            spellings = [s for v in definition.values for s in (v, v.upper(), v.title())]
            return st.sampled_from(spellings)
        case FieldType.TAGS:
            return st.sampled_from(values.tags)
    raise AssertionError(definition.type)


@st.composite
def _value(draw: st.DrawFn, scalars: st.SearchStrategy[Any], op: Op, values: RuleValues) -> Any:
    """The JSON value of a condition: days, a [low, high] pair, a list, or one scalar."""
    if op in _DAY_OPS:  # within_last_days starts at 1: the last 0 days is no span of time
        return draw(st.sampled_from([d for d in values.days if d or op is Op.MORE_THAN_DAYS_AGO]))
    if op is Op.BETWEEN:
        low, high = sorted(draw(st.lists(scalars, min_size=2, max_size=2)))
        return [draw(_json_scalar(low)), draw(_json_scalar(high))]
    if op in _LIST_OPS:
        items = draw(st.lists(scalars, min_size=1, max_size=3))  # duplicates are valid
        return [draw(_json_scalar(item)) for item in items]
    return draw(_json_scalar(draw(scalars)))


def _json_scalar(value: Any) -> st.SearchStrategy[Any]:
    """A datetime as one of the ISO 8601 spellings parse accepts; any other value as it is."""
    if not isinstance(value, datetime):
        return st.just(value)
    spellings = [
        value.isoformat().replace("+00:00", "Z"),
        value.isoformat(),
        value.astimezone(_PLUS_TWO).isoformat(),
        value.replace(tzinfo=None).isoformat(),  # naive: taken as UTC
    ]
    if value.time() == datetime.min.time():
        spellings.append(value.date().isoformat())
    return st.sampled_from(spellings)


# --- contacts ----------------------------------------------------------------------------------


@st.composite
def contacts(
    draw: st.DrawFn, vocabulary: Vocabulary, values: RuleValues = DEFAULT_VALUES
) -> Contact:
    """A contact with some fields left out, others set on or near the pools' values."""
    fields: dict[str, Any] = {}
    for definition in vocabulary.fields.values():
        if draw(st.booleans()):
            fields[definition.name] = draw(_field_value(definition, values))
    events = draw(st.lists(event_records(vocabulary, values), max_size=4))
    return Contact(fields, events)


def _field_value(definition: FieldDef, values: RuleValues) -> st.SearchStrategy[Any]:
    match definition.type:
        case FieldType.STRING:
            return st.none() | st.just("") | _near_string(values)
        case FieldType.NUMBER:
            return st.none() | _near_number(values)
        case FieldType.BOOLEAN:
            return st.sampled_from([None, True, False])
        case FieldType.DATETIME:
            return st.none() | _near_instant(values)
        case FieldType.ENUM:
            return st.sampled_from([None, "", *definition.values])
        case FieldType.TAGS:
            tags = st.sampled_from(values.tags).flatmap(
                lambda tag: st.sampled_from([tag, tag.upper(), tag.lower()])
            )
            return st.none() | st.lists(tags, max_size=3, unique_by=str.lower)
    raise AssertionError(definition.type)


@st.composite
def _near_string(draw: st.DrawFn, values: RuleValues) -> str:
    base = draw(st.sampled_from(values.strings))
    return draw(
        st.sampled_from(
            [base, base.upper(), base.lower(), f"x{base}", f"{base}y", base[:1], "unrelated"]
        )
    )


@st.composite
def _near_number(draw: st.DrawFn, values: RuleValues) -> int | float:
    base = draw(st.sampled_from(values.numbers))
    offset: int | float = draw(st.sampled_from([-1, 0, 0, 1, 0.5, -0.5]))
    return base + offset


@st.composite
def _near_instant(draw: st.DrawFn, values: RuleValues) -> datetime:
    """An instant on or beside a rule's instant, or on or beside a day window's edge."""
    windows = [values.now - timedelta(days=d) for d in values.days]
    base = draw(st.sampled_from([*values.instants, *windows, values.now + timedelta(days=1)]))
    return base + draw(st.sampled_from([-_MICROSECOND, timedelta(0), _MICROSECOND]))


@st.composite
def event_records(
    draw: st.DrawFn, vocabulary: Vocabulary, values: RuleValues = DEFAULT_VALUES
) -> EventRecord:
    type_ = draw(st.sampled_from(sorted(vocabulary.event_types)))
    ages = [timedelta(days=d) for d in (*values.windows, 400)]
    when = (
        values.now
        - draw(st.sampled_from(ages))
        + draw(st.sampled_from([-_MICROSECOND, timedelta(0), _MICROSECOND]))
    )
    property_values = st.one_of(
        st.sampled_from([None, "", "5", True, False]),
        _near_string(values),
        _near_number(values),
    )
    properties = draw(
        st.dictionaries(st.sampled_from(values.properties), property_values, max_size=3)
    )
    return EventRecord(type_, when.astimezone(UTC), properties)
