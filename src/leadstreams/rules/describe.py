"""Rule tree -> plain English, for the UI and the logs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import assert_never

from leadstreams.rules.ast import (
    NEGATIVE_OF,
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    FieldType,
    Not,
    Op,
    PropertyCondition,
    Rule,
    Scalar,
    Value,
)
from leadstreams.rules.fields import Vocabulary

# "{v}" is the formatted value; between gives "{v0}" and "{v1}".
PHRASES: Mapping[Op, str] = {
    Op.EQ: "is {v}",
    Op.NEQ: "is not {v}",
    Op.CONTAINS: "contains {v}",
    Op.NOT_CONTAINS: "does not contain {v}",
    Op.STARTS_WITH: "starts with {v}",
    Op.ENDS_WITH: "ends with {v}",
    Op.IN: "is one of {v}",
    Op.NOT_IN: "is not one of {v}",
    Op.GT: "is more than {v}",
    Op.GTE: "is at least {v}",
    Op.LT: "is less than {v}",
    Op.LTE: "is at most {v}",
    Op.BETWEEN: "is between {v0} and {v1}",
    Op.BEFORE: "is before {v}",
    Op.AFTER: "is after {v}",
    Op.WITHIN_LAST_DAYS: "is within the last {v}",
    Op.MORE_THAN_DAYS_AGO: "is more than {v} ago",  # {v}: "1 day", "30 days"
    Op.CONTAINS_ANY: "include any of {v}",
    Op.CONTAINS_ALL: "include all of {v}",
    Op.CONTAINS_NONE: "include none of {v}",
    Op.IS_SET: "is set",
    Op.IS_NOT_SET: "is not set",
}
# Tags are a plural: 'tags include "vip"', "tags are empty".
TAG_PHRASES: Mapping[Op, str] = {
    Op.CONTAINS: "include {v}",
    Op.NOT_CONTAINS: "do not include {v}",
    Op.IS_SET: "are not empty",
    Op.IS_NOT_SET: "are empty",
}
_POSITIVE_OF = {negative: positive for positive, negative in NEGATIVE_OF.items()}
_SIMPLE = re.compile(r"[\w.@+-]+")


def describe(rule: Rule, vocabulary: Vocabulary | None = None, *, counts: bool = False) -> str:
    """One sentence, e.g. 'Lead score is at least 50, and country is one of SE, NO, DK'.
    `counts`: say "at least 1 time" too, as the rule editor does, which shows the count of
    every activity (elsewhere a count of one goes without saying)."""
    text = _rule(rule, vocabulary or Vocabulary.default(), nested=False, counts=counts)
    start = len(text) - len(text.lstrip("("))
    return text[:start] + text[start : start + 1].upper() + text[start + 1 :]


def _rule(rule: Rule, vocabulary: Vocabulary, *, nested: bool, counts: bool = False) -> str:
    match rule:
        case AllOf() | AnyOf():
            members = _flattened(rule)
            if len(members) == 1:
                return _rule(members[0], vocabulary, nested=nested, counts=counts)
            joiner = ", and " if isinstance(rule, AllOf) else ", or "
            text = joiner.join(
                _rule(member, vocabulary, nested=True, counts=counts) for member in members
            )
            return f"({text})" if nested else text
        case Not(inner):
            return _negation(inner, vocabulary, counts)
        case FieldCondition():
            return field_phrase(rule, vocabulary)
        case EventCondition():
            return event_phrase(rule, vocabulary, counts=counts)
        case _:
            assert_never(rule)


def _flattened(group: AllOf | AnyOf) -> list[Rule]:
    """'all' inside 'all' (or 'any' inside 'any') reads without brackets: same meaning."""
    members: list[Rule] = []
    for member in group.rules:
        if type(member) is type(group):
            members.extend(_flattened(member))
        else:
            members.append(member)
    return members


def _negation(inner: Rule, vocabulary: Vocabulary, counts: bool = False) -> str:
    if isinstance(inner, FieldCondition) and inner.op in _NEGATIVES_BOTH_WAYS:
        return field_phrase(_with_op(inner, _NEGATIVES_BOTH_WAYS[inner.op]), vocabulary)
    if isinstance(inner, EventCondition):
        return event_phrase(inner, vocabulary, negated=True)
    return f"not ({_rule(inner, vocabulary, nested=False, counts=counts)})"


_NEGATIVES_BOTH_WAYS = {**NEGATIVE_OF, **_POSITIVE_OF}


def _with_op(cond: FieldCondition, op: Op) -> FieldCondition:
    return FieldCondition(cond.field, op, cond.value, cond.type)


def field_phrase(cond: FieldCondition, vocabulary: Vocabulary) -> str:
    label = vocabulary.label(cond.field)
    return f"{label} {_phrase(cond.type, cond.op, cond.value)}"


def _phrase(type_: FieldType | None, op: Op, value: Value) -> str:
    template = PHRASES[op]
    if type_ is FieldType.TAGS:
        template = TAG_PHRASES.get(op, template)
    if op is Op.WITHIN_LAST_DAYS:
        return template.format(v=_days(value))
    if op is Op.MORE_THAN_DAYS_AGO:
        return template.format(v="1 day" if value == 1 else f"{value} days")
    if op is Op.BETWEEN and isinstance(value, tuple):
        return template.format(v0=_value(value[0], type_), v1=_value(value[1], type_))
    if isinstance(value, tuple):
        return template.format(v=", ".join(_list_item(v, type_) for v in value))
    return template.format(v=_value(value, type_) if value is not None else "")


def _days(value: Value) -> str:
    return "day" if value == 1 else f"{value} days"


def _value(value: Scalar, type_: FieldType | None) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime(
            "%Y-%m-%d %H:%M UTC" if value.second == 0 else "%Y-%m-%d %H:%M:%S UTC"
        )
    if isinstance(value, str) and type_ is not FieldType.ENUM:
        return f'"{value}"'
    return str(value)


def _list_item(value: Scalar, type_: FieldType | None) -> str:
    if isinstance(value, str) and _SIMPLE.fullmatch(value):
        return value
    return _value(value, type_)


def event_phrase(
    cond: EventCondition, vocabulary: Vocabulary, *, negated: bool = False, counts: bool = False
) -> str:
    kind = vocabulary.event_type(cond.event)
    fewer = negated and cond.min_count > 1  # "not at least 2 times" is "fewer than 2 times"
    verb = f"did not {kind.verb_base}" if negated and not fewer else kind.verb
    where = list(cond.where)
    named = next(
        (
            p
            for p in where
            if p.property == kind.noun and p.op is Op.EQ and p.type is FieldType.STRING
        ),
        None,
    )
    if named is not None:
        where.remove(named)
        obj = f"{kind.noun} {_value(named.value, FieldType.STRING)}"  # type: ignore[arg-type]
    elif kind.noun:
        obj = f"{'an' if kind.noun[0] in 'aeiou' else 'a'} {kind.noun}"
    else:
        obj = f'event "{cond.event}"'
    text = f"{verb} {obj}"
    if where:
        text += " where " + " and ".join(property_phrase(p) for p in where)
    if cond.min_count > 1:
        text += f" {'fewer than' if fewer else 'at least'} {cond.min_count} times"
    elif counts and not negated:  # "did not … at least 1 time" says no more than "did not"
        text += " at least 1 time"
    if cond.within_days is not None:
        text += f" in the last {_days(cond.within_days)}"
    return text


def property_phrase(cond: PropertyCondition) -> str:
    return f"{cond.property} {_phrase(cond.type, cond.op, cond.value)}"
