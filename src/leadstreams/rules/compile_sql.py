"""Rule tree -> one SQLAlchemy boolean expression over contacts, for SQLite and PostgreSQL.

The compiler knows no tables: it is given the columns (`SqlColumns`). Every value is a bound
parameter. "Now" is a datetime bound with the statement, or `BoundNow`: named parameters given
at each execution, so that a statement built once serves every moment (the score recompute and
sweep keep theirs per rule set instead of building and compiling it again each time). Each
condition compiles to an expression that is never NULL, so that `NOT` means
what it means in Python (SQL's three-valued logic would make "not (country = 'SE')" drop the
contacts without a country). Dialect differences (JSON access, lower-casing, array items) are
confined to the constructs of `rules.sql.dialects`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, assert_never

from sqlalchemy import (
    BigInteger,
    Float,
    and_,
    bindparam,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
)
from sqlalchemy.sql import ColumnElement

from leadstreams.rules.ast import (
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    FieldType,
    Not,
    Op,
    PropertyCondition,
    Rule,
    Value,
    positive,
)
from leadstreams.rules.fold import fold
from leadstreams.rules.order import cheap_first
from leadstreams.rules.sql.dialects import (
    folded,
    json_array_items,
    json_array_length,
    json_boolean,
    json_is_set,
    json_number,
    json_string,
)


@dataclass(frozen=True)
class EventColumns:
    contact_id: ColumnElement[Any]
    type: ColumnElement[str]
    occurred_at: ColumnElement[datetime]
    properties: ColumnElement[Any]  # JSON on SQLite, JSONB on PostgreSQL


@dataclass(frozen=True)
class SqlColumns:
    """Where the compiler finds things: the contact id, each field's expression, the events.

    A tags field maps to a JSON array column; every other field to an expression of its type.
    """

    contact_id: ColumnElement[Any]
    fields: Mapping[str, ColumnElement[Any]]
    events: EventColumns


Builder = Callable[[ColumnElement[Any], Any], ColumnElement[bool]]


@dataclass
class BoundNow:
    """ "Now" as named bound parameters, one per number of days counted back and type of the
    column compared (a custom datetime field is ISO text, a column a datetime): the compiler
    notes each one it used, and `values(at)` gives their values for the moment `at`, the same
    arithmetic as with a datetime."""

    days: dict[str, int] = field(default_factory=dict)

    def days_ago(self, days: int, like: ColumnElement[Any]) -> ColumnElement[Any]:
        name = f"now_{type(like.type).__name__.lower()}_minus_{days}_days"
        self.days[name] = days
        return bindparam(name, type_=like.type)

    def values(self, at: datetime) -> dict[str, datetime]:
        return {name: at - timedelta(days=days) for name, days in self.days.items()}


Now = datetime | BoundNow


def _days_ago(now: Now, days: int, like: ColumnElement[Any]) -> Any:
    """The moment `days` days before now, compared with `like`."""
    return now.days_ago(days, like) if isinstance(now, BoundNow) else now - timedelta(days=days)


def _present(x: ColumnElement[Any], test: ColumnElement[bool]) -> ColumnElement[bool]:
    return and_(x.is_not(None), test)


def _number(value: float) -> ColumnElement[Any]:
    """A number bound with its own type: bound as the column's type, 49.5 became 50 in PG."""
    return literal(value, Float() if isinstance(value, float) else BigInteger())


def _tags_any(tags: ColumnElement[Any], values: tuple[str, ...]) -> ColumnElement[bool]:
    items = json_array_items(tags).table_valued("value")
    return exists().where(folded(items.c.value).in_(values))


def _fold_all(value: Value) -> Any:
    if isinstance(value, tuple):
        return tuple(fold(v) if isinstance(v, str) else v for v in value)
    return fold(value) if isinstance(value, str) else value


# Builders of the positive operators, each never NULL. `c` is the condition's value, with
# strings already lower-cased for string and tags fields.
_STRING: Mapping[Op, Builder] = {
    Op.EQ: lambda x, c: _present(x, folded(x) == c),
    Op.CONTAINS: lambda x, c: _present(x, folded(x).contains(c, autoescape=True)),
    Op.STARTS_WITH: lambda x, c: _present(x, folded(x).startswith(c, autoescape=True)),
    Op.ENDS_WITH: lambda x, c: _present(x, folded(x).endswith(c, autoescape=True)),
    Op.IN: lambda x, c: _present(x, folded(x).in_(c)),
    Op.IS_SET: lambda x, c: _present(x, x != ""),
}
_NUMBER: Mapping[Op, Builder] = {
    Op.EQ: lambda x, c: _present(x, x == _number(c)),
    Op.GT: lambda x, c: _present(x, x > _number(c)),
    Op.GTE: lambda x, c: _present(x, x >= _number(c)),
    Op.LT: lambda x, c: _present(x, x < _number(c)),
    Op.LTE: lambda x, c: _present(x, x <= _number(c)),
    Op.BETWEEN: lambda x, c: _present(x, x.between(_number(c[0]), _number(c[1]))),
    Op.IN: lambda x, c: _present(x, x.in_([_number(v) for v in c])),
    Op.IS_SET: lambda x, c: x.is_not(None),
}
_BOOLEAN: Mapping[Op, Builder] = {
    Op.EQ: lambda x, c: _present(x, x == c),
    Op.IS_SET: lambda x, c: x.is_not(None),
}
# Day-based operators get `c` as (now, cutoff) datetimes, computed in Python and bound.
_DATETIME: Mapping[Op, Builder] = {
    Op.BEFORE: lambda x, c: _present(x, x < c),
    Op.AFTER: lambda x, c: _present(x, x > c),
    Op.BETWEEN: lambda x, c: _present(x, x.between(c[0], c[1])),
    Op.WITHIN_LAST_DAYS: lambda x, c: _present(x, and_(x >= c[1], x <= c[0])),
    Op.MORE_THAN_DAYS_AGO: lambda x, c: _present(x, x < c[1]),
    Op.IS_SET: lambda x, c: x.is_not(None),
}
_ENUM: Mapping[Op, Builder] = {
    Op.EQ: lambda x, c: _present(x, x == c),
    Op.IN: lambda x, c: _present(x, x.in_(c)),
    Op.IS_SET: lambda x, c: _present(x, x != ""),
}
_TAGS: Mapping[Op, Builder] = {
    Op.CONTAINS: lambda x, c: _tags_any(x, (c,)),
    Op.CONTAINS_ANY: lambda x, c: _tags_any(x, c),
    Op.CONTAINS_ALL: lambda x, c: and_(*(_tags_any(x, (v,)) for v in c)),
    Op.IS_SET: lambda x, c: func.coalesce(json_array_length(x), 0) > 0,
}

FIELD_BUILDERS: Mapping[FieldType, Mapping[Op, Builder]] = {
    FieldType.STRING: _STRING,
    FieldType.NUMBER: _NUMBER,
    FieldType.BOOLEAN: _BOOLEAN,
    FieldType.DATETIME: _DATETIME,
    FieldType.ENUM: _ENUM,
    FieldType.TAGS: _TAGS,
}

# How a property of each kind is read out of the event's JSON.
PROPERTY_READERS: Mapping[FieldType, Callable[[ColumnElement[Any], str], ColumnElement[Any]]] = {
    FieldType.STRING: json_string,
    FieldType.NUMBER: json_number,
    FieldType.BOOLEAN: json_boolean,
}


def to_sql(rule: Rule, columns: SqlColumns, *, now: Now) -> ColumnElement[bool]:
    """A boolean expression, true exactly for the contacts the rule matches at `now`."""
    match rule:
        case AllOf(rules):
            return and_(*(to_sql(r, columns, now=now) for r in cheap_first(rules)))
        case AnyOf(rules):
            return or_(*(to_sql(r, columns, now=now) for r in cheap_first(rules)))
        case Not(inner):
            return not_(to_sql(inner, columns, now=now))
        case FieldCondition():
            return _field(rule, columns.fields[rule.field], now)
        case EventCondition():
            return has_events(rule, columns, now=now)
        case _:
            assert_never(rule)


def _field(cond: FieldCondition, x: ColumnElement[Any], now: Now) -> ColumnElement[bool]:
    base, negated = positive(cond.op)
    value: Any = (
        _fold_all(cond.value) if cond.type in (FieldType.STRING, FieldType.TAGS) else cond.value
    )
    if base in (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO):
        value = (_days_ago(now, 0, x), _days_ago(now, int(cond.value), x))  # type: ignore[arg-type]
    test = FIELD_BUILDERS[cond.type][base](x, value)
    return not_(test) if negated else test


def _property(cond: PropertyCondition, properties: ColumnElement[Any]) -> ColumnElement[bool]:
    base, negated = positive(cond.op)
    if cond.type is None:  # is_set / is_not_set, whatever the kind
        test: ColumnElement[bool] = json_is_set(properties, cond.property)
    else:
        x = PROPERTY_READERS[cond.type](properties, cond.property)
        test = FIELD_BUILDERS[cond.type][base](x, _fold_all(cond.value))
    return not_(test) if negated else test


def event_filter(cond: EventCondition, events: EventColumns) -> list[ColumnElement[bool]]:
    """The type and `where` tests of an event condition (no count, no window)."""
    return [events.type == cond.event, *(_property(p, events.properties) for p in cond.where)]


def has_events(cond: EventCondition, columns: SqlColumns, *, now: Now) -> ColumnElement[bool]:
    """Whether the contact has at least `min_count` events satisfying `cond`: a correlated
    test that stops at `min_count` rows, an index seek on the contact's events (why not a
    set-based one: docs/performance.md, "Design notes")."""
    events = columns.events
    found = select(literal(1)).where(events.contact_id == columns.contact_id)
    found = found.where(*event_filter(cond, events))
    if cond.within_days is not None:
        cutoff = _days_ago(now, cond.within_days, events.occurred_at)
        found = found.where(events.occurred_at >= cutoff)
    table = events.contact_id.table
    if cond.min_count <= 1:
        return exists(found.correlate_except(table))
    limited = found.limit(cond.min_count).correlate_except(table).subquery()
    counted = select(func.count()).select_from(limited).scalar_subquery()
    return counted >= cond.min_count


__all__ = [
    "FIELD_BUILDERS",
    "PROPERTY_READERS",
    "BoundNow",
    "EventColumns",
    "SqlColumns",
    "event_filter",
    "has_events",
    "to_sql",
]
