"""JSON rule tree -> frozen, typed nodes; collects every issue instead of stopping at the first."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from leadstreams.rules import limits
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
)
from leadstreams.rules.errors import RuleIssue, RuleValidationError
from leadstreams.rules.fields import (
    DAY_OPS,
    LIST_OPS,
    NAME_PATTERN,
    NO_VALUE_OPS,
    NUMBER_ONLY_OPS,
    OPERATORS,
    PROPERTY_ANY_KIND_OPERATORS,
    PROPERTY_NAME_PATTERN,
    PROPERTY_OPERATORS,
    FieldDef,
    Vocabulary,
)
from leadstreams.rules.values import enum_value, parse_datetime

_GROUP_KEYS = ("all", "any", "not")
_FIELD_KEYS = ("field", "op", "value")
_EVENT_KEYS = ("event", "where", "min_count", "within_days")
_PROPERTY_KEYS = ("property", "op", "value")
_STRING_ONLY_OPS = (Op.CONTAINS, Op.NOT_CONTAINS, Op.STARTS_WITH, Op.ENDS_WITH)


def parse(raw: Any, vocabulary: Vocabulary, *, path: str = "rules") -> Rule:
    """The rule tree for `raw`, or RuleValidationError listing every issue found."""
    parser = _Parser(vocabulary)
    tree = parser.rule(raw, path, depth=1)
    if parser.conditions > limits.MAX_CONDITIONS:
        parser.issue(
            path,
            f"the rules have {parser.conditions} conditions; "
            f"at most {limits.MAX_CONDITIONS} are allowed",
        )
    if parser.issues or tree is None:
        raise RuleValidationError(parser.issues)
    return tree


def validate(raw: Any, vocabulary: Vocabulary, *, path: str = "rules") -> list[RuleIssue]:
    """Every issue in `raw`; empty when it is a valid rule tree."""
    try:
        parse(raw, vocabulary, path=path)
    except RuleValidationError as error:
        return error.issues
    return []


def _suggest(name: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Parser:
    def __init__(self, vocabulary: Vocabulary) -> None:
        self.vocabulary = vocabulary
        self.issues: list[RuleIssue] = []
        self.conditions = 0
        self._depth_reported = False

    def issue(self, path: str, message: str) -> None:
        self.issues.append(RuleIssue(path, message))

    def rule(self, raw: Any, path: str, depth: int) -> Rule | None:
        if depth > limits.MAX_DEPTH:
            if not self._depth_reported:
                self._depth_reported = True
                self.issue(path, f"the rules nest deeper than {limits.MAX_DEPTH} levels")
            return None
        if not isinstance(raw, dict):
            self.issue(path, "expected an object: a group (all, any, not) or a condition")
            return None
        kind = next((key for key in (*_GROUP_KEYS, "field", "event") if key in raw), None)
        if kind is None:
            self.issue(
                path,
                "expected a group ('all', 'any', 'not') or a condition ('field', 'event')"
                + (f"; found keys {', '.join(map(repr, raw))}" if raw else ""),
            )
            return None
        if kind == "field":
            return self.field_condition(raw, path)
        if kind == "event":
            return self.event_condition(raw, path)
        self.unknown_keys(raw, (kind,), path)
        if kind == "not":
            inner = self.rule(raw["not"], f"{path}.not", depth + 1)
            return Not(inner) if inner is not None else None
        return self.group(kind, raw[kind], f"{path}.{kind}", depth)

    def group(self, kind: str, members: Any, path: str, depth: int) -> Rule | None:
        if not isinstance(members, list):
            self.issue(path, f"an '{kind}' group takes a list of rules")
            return None
        if not members:
            self.issue(path, f"an '{kind}' group needs at least one rule")
            return None
        parsed = [self.rule(member, f"{path}[{i}]", depth + 1) for i, member in enumerate(members)]
        rules = tuple(rule for rule in parsed if rule is not None)
        if len(rules) != len(parsed):
            return None
        return AllOf(rules) if kind == "all" else AnyOf(rules)

    def unknown_keys(self, raw: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
        for key in raw:
            if key not in allowed:
                self.issue(f"{path}.{key}", f"unknown key {key!r}{_suggest(str(key), allowed)}")

    def field_condition(self, raw: Mapping[str, Any], path: str) -> FieldCondition | None:
        self.conditions += 1
        self.unknown_keys(raw, _FIELD_KEYS, path)
        name = raw["field"]
        if not isinstance(name, str):
            self.issue(f"{path}.field", "the field name must be a string")
            return None
        definition = self.vocabulary.fields.get(name)
        if definition is None:
            suggestion = _suggest(name, self.vocabulary.fields)
            self.issue(f"{path}.field", f"unknown field {name!r}{suggestion}")
            return None
        op = self.operator(
            raw, path, OPERATORS[definition.type], f"{definition.type} field {name!r}"
        )
        if op is None:
            return None
        ok, value = self.field_value(definition, op, raw, path)
        return FieldCondition(name, op, value, definition.type) if ok else None

    def operator(
        self, raw: Mapping[str, Any], path: str, allowed: Iterable[Op], subject: str
    ) -> Op | None:
        allowed = tuple(allowed)
        op = raw.get("op")
        if op is None:
            self.issue(f"{path}.op", "an operator is required")
            return None
        if not isinstance(op, str):
            self.issue(f"{path}.op", "the operator must be a string")
            return None
        if op not in Op.__members__.values():
            self.issue(f"{path}.op", f"unknown operator {op!r}{_suggest(op, allowed)}")
            return None
        if Op(op) not in allowed:
            self.issue(f"{path}.op", f"operator {op!r} does not apply to {subject}")
            return None
        return Op(op)

    def field_value(
        self, definition: FieldDef, op: Op, raw: Mapping[str, Any], path: str
    ) -> tuple[bool, Value]:
        vpath = f"{path}.value"
        if op in NO_VALUE_OPS:
            if raw.get("value") is not None:
                self.issue(vpath, f"operator '{op}' takes no value")
                return False, None
            return True, None
        if "value" not in raw or raw["value"] is None:
            self.issue(vpath, f"operator '{op}' needs a value")
            return False, None
        value = raw["value"]
        match definition.type:
            case FieldType.DATETIME if op in DAY_OPS:
                return self.days(value, vpath, lowest=1 if op is Op.WITHIN_LAST_DAYS else 0)
            case FieldType.DATETIME:
                return self.scalars(value, vpath, op, self.datetime)
            case FieldType.NUMBER:
                return self.scalars(value, vpath, op, self.number)
            case FieldType.BOOLEAN:
                return self.scalars(value, vpath, op, self.boolean)
            case FieldType.ENUM:
                return self.scalars(value, vpath, op, lambda v, p: self.enum(v, p, definition))
            case FieldType.STRING | FieldType.TAGS:
                return self.scalars(value, vpath, op, self.string)
        raise AssertionError(definition.type)  # pragma: no cover

    def scalars(self, value: Any, path: str, op: Op, one: Any) -> tuple[bool, Value]:
        """One value, a non-empty list (in-like operators) or a [low, high] pair (between)."""
        if op is Op.BETWEEN:
            if not isinstance(value, list) or len(value) != 2:
                self.issue(path, "'between' takes a list of two values: [low, high]")
                return False, None
            low_ok, low = one(value[0], f"{path}[0]")
            high_ok, high = one(value[1], f"{path}[1]")
            if not (low_ok and high_ok):
                return False, None
            if low > high:
                self.issue(path, "the low end of 'between' must not be above the high end")
                return False, None
            return True, (low, high)
        if op in LIST_OPS:
            if not isinstance(value, list) or not value:
                self.issue(path, f"operator '{op}' takes a non-empty list of values")
                return False, None
            if len(value) > limits.MAX_LIST_LENGTH:
                self.issue(path, f"at most {limits.MAX_LIST_LENGTH} values are allowed")
                return False, None
            items = [one(item, f"{path}[{i}]") for i, item in enumerate(value)]
            if not all(ok for ok, _ in items):
                return False, None
            return True, tuple(dict.fromkeys(item for _, item in items))
        return one(value, path)  # type: ignore[no-any-return]

    def string(self, value: Any, path: str) -> tuple[bool, Value]:
        if not isinstance(value, str):
            self.issue(path, "expected a string")
            return False, None
        if value == "":
            self.issue(path, "an empty string counts as no value; use 'is_set' or 'is_not_set'")
            return False, None
        if len(value) > limits.MAX_STRING_LENGTH:
            self.issue(path, f"a value may have at most {limits.MAX_STRING_LENGTH} characters")
            return False, None
        return True, value

    def number(self, value: Any, path: str) -> tuple[bool, Value]:
        if not _is_number(value):
            self.issue(path, "expected a number")
            return False, None
        if not math.isfinite(value) or abs(value) > limits.MAX_ABS_NUMBER:
            bound = limits.MAX_ABS_NUMBER
            self.issue(path, f"a number must be between -{bound} and {bound}")
            return False, None
        return True, value

    def boolean(self, value: Any, path: str) -> tuple[bool, Value]:
        if not isinstance(value, bool):
            self.issue(path, "expected true or false")
            return False, None
        return True, value

    def datetime(self, value: Any, path: str) -> tuple[bool, Value]:
        parsed = parse_datetime(value)
        if parsed is not None:
            return True, parsed
        self.issue(path, "expected an ISO 8601 date or datetime, e.g. '2026-01-31T12:00:00Z'")
        return False, None

    def enum(self, value: Any, path: str, definition: FieldDef) -> tuple[bool, Value]:
        canonical = enum_value(value, definition.values)
        if canonical is not None:
            return True, canonical
        allowed = ", ".join(definition.values)
        suggestion = _suggest(str(value), definition.values)
        self.issue(path, f"{value!r} is not one of {allowed}{suggestion}")
        return False, None

    def days(self, value: Any, path: str, *, lowest: int) -> tuple[bool, Value]:
        if isinstance(value, bool) or not isinstance(value, int):
            self.issue(path, "expected a whole number of days")
            return False, None
        if not lowest <= value <= limits.MAX_DAYS:
            self.issue(path, f"the number of days must be from {lowest} to {limits.MAX_DAYS}")
            return False, None
        return True, value

    def event_condition(self, raw: Mapping[str, Any], path: str) -> Rule | None:
        self.conditions += 1
        self.unknown_keys(raw, _EVENT_KEYS, path)
        ok = True
        name = raw["event"]
        if not isinstance(name, str) or not NAME_PATTERN.fullmatch(name):
            self.issue(f"{path}.event", "the event type must be a snake_case name")
            ok = False
        elif name not in self.vocabulary.event_types:
            suggestion = _suggest(name, self.vocabulary.event_types)
            self.issue(f"{path}.event", f"unknown event type {name!r}{suggestion}")
            ok = False
        where = self.where(raw.get("where") or [], f"{path}.where")
        min_count = raw.get("min_count")
        min_count_ok, min_count = self.count(
            1 if min_count is None else min_count, f"{path}.min_count"
        )
        within_ok, within = (True, None)
        if raw.get("within_days") is not None:
            within_ok, within = self.days(raw["within_days"], f"{path}.within_days", lowest=1)
        if not (ok and where is not None and min_count_ok and within_ok):
            return None
        assert isinstance(min_count, int) and (within is None or isinstance(within, int))
        return EventCondition(name, where, min_count, within)

    def count(self, value: Any, path: str) -> tuple[bool, Value]:
        if isinstance(value, bool) or not isinstance(value, int):
            self.issue(path, "expected a whole number")
            return False, None
        if not 1 <= value <= limits.MAX_MIN_COUNT:
            self.issue(path, f"the count must be from 1 to {limits.MAX_MIN_COUNT}")
            return False, None
        return True, value

    def where(self, raw: Any, path: str) -> tuple[PropertyCondition, ...] | None:
        if not isinstance(raw, list):
            self.issue(path, "'where' takes a list of property conditions")
            return None
        parsed = [self.property_condition(item, f"{path}[{i}]") for i, item in enumerate(raw)]
        conditions = tuple(p for p in parsed if p is not None)
        return conditions if len(conditions) == len(parsed) else None

    def property_condition(self, raw: Any, path: str) -> PropertyCondition | None:
        self.conditions += 1
        if not isinstance(raw, dict) or "property" not in raw:
            self.issue(path, "expected a property condition: {property, op, value}")
            return None
        self.unknown_keys(raw, _PROPERTY_KEYS, path)
        name = raw["property"]
        if not isinstance(name, str) or not PROPERTY_NAME_PATTERN.fullmatch(name):
            self.issue(
                f"{path}.property",
                "a property name has 1 to 64 letters, digits, '_' or '-', and starts with a"
                " letter or '_'",
            )
            return None
        all_ops = {op for ops in PROPERTY_OPERATORS.values() for op in ops}
        op = self.operator(raw, path, (*all_ops, *PROPERTY_ANY_KIND_OPERATORS), "properties")
        if op is None:
            return None
        if op in NO_VALUE_OPS:
            ok, value = self.field_value(_ANY_KIND, op, raw, path)
            return PropertyCondition(name, op, None, None) if ok else None
        kind = self.property_kind(op, raw.get("value"), f"{path}.value")
        if kind is None:
            return None
        if op not in PROPERTY_OPERATORS[kind]:
            self.issue(f"{path}.op", f"operator '{op}' does not apply to {kind} values")
            return None
        ok, value = self.field_value(FieldDef(name, kind, name), op, raw, path)
        return PropertyCondition(name, op, value, kind) if ok else None

    def property_kind(self, op: Op, value: Any, path: str) -> FieldType | None:
        if op in NUMBER_ONLY_OPS:
            return FieldType.NUMBER
        if op in _STRING_ONLY_OPS:
            return FieldType.STRING
        sample = value[0] if isinstance(value, list) and value else value
        if isinstance(sample, bool):
            return FieldType.BOOLEAN
        if _is_number(sample):
            return FieldType.NUMBER
        if isinstance(sample, str):
            return FieldType.STRING
        self.issue(path, f"operator '{op}' needs a string, number or boolean value")
        return None


# Only used to check that is_set / is_not_set on a property carry no value.
_ANY_KIND = FieldDef("", FieldType.STRING, "")
