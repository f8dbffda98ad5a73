"""Frozen nodes -> the JSON rule tree they were parsed from (`parse(dump(t)) == t`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, assert_never

from leadstreams.rules.ast import (
    AllOf,
    AnyOf,
    EventCondition,
    FieldCondition,
    Not,
    PropertyCondition,
    Rule,
    Value,
)


def dump(rule: Rule) -> dict[str, Any]:
    match rule:
        case AllOf(rules):
            return {"all": [dump(member) for member in rules]}
        case AnyOf(rules):
            return {"any": [dump(member) for member in rules]}
        case Not(inner):
            return {"not": dump(inner)}
        case FieldCondition() | PropertyCondition():
            return _condition(rule)
        case EventCondition():
            out: dict[str, Any] = {"event": rule.event}
            if rule.where:
                out["where"] = [_condition(p) for p in rule.where]
            if rule.min_count != 1:
                out["min_count"] = rule.min_count
            if rule.within_days is not None:
                out["within_days"] = rule.within_days
            return out
        case _:
            assert_never(rule)


def _condition(condition: FieldCondition | PropertyCondition) -> dict[str, Any]:
    key = "field" if isinstance(condition, FieldCondition) else "property"
    name = condition.field if isinstance(condition, FieldCondition) else condition.property
    out: dict[str, Any] = {key: name, "op": str(condition.op)}
    if condition.value is not None:
        out["value"] = dump_value(condition.value)
    return out


def dump_value(value: Value) -> Any:
    if isinstance(value, tuple):
        return [dump_value(item) for item in value]
    if isinstance(value, datetime):
        return value.isoformat().replace("+00:00", "Z")
    return value
