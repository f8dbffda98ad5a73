"""Rule tree -> a Python predicate, generated as source once per rule and compiled.

A closure per node costs a call per node per contact; generating one function per rule lets
CPython run the whole rule as straight-line code, close to what a person would write by hand.
Strings are folded as `rules.fold` does (and SQL). Only identifiers we make up go into the
source: every name and value of the rule is bound as a constant in the function's namespace,
so a rule's text can never become code.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, assert_never

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
from leadstreams.rules.fold import LOWER_TABLE, fold
from leadstreams.rules.order import cheap_first


@dataclass(frozen=True, slots=True)
class EventRecord:
    """What the evaluator needs of one event of a contact."""

    type: str
    occurred_at: datetime  # timezone-aware, UTC
    properties: Mapping[str, Any]


Fields = Mapping[str, Any]
Predicate = Callable[[Fields, Sequence[EventRecord], datetime], bool]
EventCounter = Callable[[Sequence[EventRecord], datetime, int], int]

# Templates of the positive operators, each false on a missing value. `{r}` is the value's
# first read, where a field condition reads it out of the contact's fields (so it comes
# before every other use); `{v}` the value, read again; `{f}` the value folded; `{c}` (or
# `{c0}`, `{c1}`) the prepared constant; `now` the evaluation time.
FIELD_TEMPLATES: Mapping[tuple[FieldType, Op], str] = {
    (FieldType.STRING, Op.EQ): "{r} is not None and {f} == {c}",
    (FieldType.STRING, Op.CONTAINS): "{r} is not None and {c} in {f}",
    (FieldType.STRING, Op.STARTS_WITH): "{r} is not None and {f}.startswith({c})",
    (FieldType.STRING, Op.ENDS_WITH): "{r} is not None and {f}.endswith({c})",
    (FieldType.STRING, Op.IN): "{r} is not None and {f} in {c}",
    (FieldType.STRING, Op.IS_SET): "{r} is not None and {v} != ''",
    (FieldType.NUMBER, Op.EQ): "{r} is not None and {v} == {c}",
    (FieldType.NUMBER, Op.GT): "{r} is not None and {v} > {c}",
    (FieldType.NUMBER, Op.GTE): "{r} is not None and {v} >= {c}",
    (FieldType.NUMBER, Op.LT): "{r} is not None and {v} < {c}",
    (FieldType.NUMBER, Op.LTE): "{r} is not None and {v} <= {c}",
    (FieldType.NUMBER, Op.BETWEEN): "{r} is not None and {c0} <= {v} <= {c1}",
    (FieldType.NUMBER, Op.IS_SET): "{r} is not None",
    (FieldType.BOOLEAN, Op.EQ): "{r} is {c}",
    (FieldType.BOOLEAN, Op.IS_SET): "{r} is not None",
    (FieldType.DATETIME, Op.BEFORE): "{r} is not None and {v} < {c}",
    (FieldType.DATETIME, Op.AFTER): "{r} is not None and {v} > {c}",
    (FieldType.DATETIME, Op.BETWEEN): "{r} is not None and {c0} <= {v} <= {c1}",
    (FieldType.DATETIME, Op.WITHIN_LAST_DAYS): "{r} is not None and now - {c} <= {v} <= now",
    (FieldType.DATETIME, Op.MORE_THAN_DAYS_AGO): "{r} is not None and {v} < now - {c}",
    (FieldType.DATETIME, Op.IS_SET): "{r} is not None",
    # Enum values are stored and parsed in their canonical spelling: compared exactly.
    (FieldType.ENUM, Op.EQ): "{r} == {c}",
    (FieldType.ENUM, Op.IN): "{r} in {c}",
    (FieldType.ENUM, Op.IS_SET): "{r} is not None and {v} != ''",
    (FieldType.TAGS, Op.CONTAINS): "{c} in _lowered({r})",
    (FieldType.TAGS, Op.CONTAINS_ANY): "not {c}.isdisjoint(_lowered({r}))",
    (FieldType.TAGS, Op.CONTAINS_ALL): "{c} <= _lowered({r})",
    (FieldType.TAGS, Op.IS_SET): "bool({r})",
}

_NUM = "(type({r}) is int or type({v}) is float)"
PROPERTY_TEMPLATES: Mapping[tuple[FieldType | None, Op], str] = {
    (FieldType.STRING, Op.EQ): "type({r}) is str and {f} == {c}",
    (FieldType.STRING, Op.CONTAINS): "type({r}) is str and {c} in {f}",
    (FieldType.STRING, Op.STARTS_WITH): "type({r}) is str and {f}.startswith({c})",
    (FieldType.STRING, Op.ENDS_WITH): "type({r}) is str and {f}.endswith({c})",
    (FieldType.STRING, Op.IN): "type({r}) is str and {f} in {c}",
    (FieldType.NUMBER, Op.EQ): _NUM + " and {v} == {c}",
    (FieldType.NUMBER, Op.GT): _NUM + " and {v} > {c}",
    (FieldType.NUMBER, Op.GTE): _NUM + " and {v} >= {c}",
    (FieldType.NUMBER, Op.LT): _NUM + " and {v} < {c}",
    (FieldType.NUMBER, Op.LTE): _NUM + " and {v} <= {c}",
    (FieldType.NUMBER, Op.BETWEEN): _NUM + " and {c0} <= {v} <= {c1}",
    (FieldType.NUMBER, Op.IN): _NUM + " and {v} in {c}",
    (FieldType.BOOLEAN, Op.EQ): "{r} is {c}",
    (None, Op.IS_SET): "{r} is not None and {v} != ''",
}


def _lowered(tags: Iterable[str] | None) -> frozenset[str]:
    return frozenset(fold(tag) for tag in tags) if tags else frozenset()


def _prepare(type_: FieldType | None, op: Op, value: Value) -> dict[str, Any]:
    """The constants a template uses: strings lower-cased, lists as sets, days as timedeltas."""
    if op in (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO):
        assert isinstance(value, int)
        return {"c": timedelta(days=value)}
    if op is Op.BETWEEN:
        assert isinstance(value, tuple)
        return {"c0": value[0], "c1": value[1]}
    folds = type_ in (FieldType.STRING, FieldType.TAGS)
    if isinstance(value, tuple):
        return {"c": frozenset(fold(v) if folds and isinstance(v, str) else v for v in value)}
    if folds and isinstance(value, str):
        return {"c": fold(value)}
    return {"c": value}


class _Source:
    """Collects the generated source and the namespace it runs in."""

    def __init__(self) -> None:
        self.namespace: dict[str, Any] = {
            "_LOWER": LOWER_TABLE,
            "_lowered": _lowered,
            "__builtins__": {"type": type, "int": int, "float": float, "str": str, "bool": bool},
        }
        self.helpers: list[str] = []
        self._consts: dict[tuple[type, Any], str] = {}
        self._count = 0

    def name(self, prefix: str) -> str:
        self._count += 1
        return f"_{prefix}{self._count}"

    def const(self, value: Any) -> str:
        """A name bound to `value`; equal values of one type share it."""
        key = (type(value), value) if isinstance(value, str | int | float | bool) else None
        if key is not None and key in self._consts:
            return self._consts[key]
        name = self.name("c")
        self.namespace[name] = value
        if key is not None:
            self._consts[key] = name
        return name

    def fill(self, template: str, var: str, read: str, constants: dict[str, Any]) -> str:
        names = {key: self.const(value) for key, value in constants.items()}
        folded = f"({var}.lower() if {var}.isascii() else {var}.translate(_LOWER))"
        return "(" + template.format(r=read, v=var, f=folded, **names) + ")"

    def condition(
        self, var: str, cond: FieldCondition | PropertyCondition, *, read: str | None = None
    ) -> str:
        """The test of `cond` on `var`; `read`, when given, binds `var` where first used."""
        base, negated = positive(cond.op)
        table: Mapping[tuple[Any, Op], str] = (
            FIELD_TEMPLATES if isinstance(cond, FieldCondition) else PROPERTY_TEMPLATES
        )
        constants = _prepare(cond.type, base, cond.value)
        code = self.fill(table[(cond.type, base)], var, read or var, constants)
        return f"(not {code})" if negated else code

    def rule(self, node: Rule) -> str:
        match node:
            case AllOf(rules):
                return "(" + " and ".join(self.rule(r) for r in cheap_first(rules)) + ")"
            case AnyOf(rules):
                return "(" + " or ".join(self.rule(r) for r in cheap_first(rules)) + ")"
            case Not(inner):
                return f"(not {self.rule(inner)})"
            case FieldCondition():
                # Read where first used (most contacts fail early, before other fields matter).
                var = self.name("f")
                read = f"({var} := fields.get({self.const(node.field)}))"
                return self.condition(var, node, read=read)
            case EventCondition():
                counter = self.event_counter(node)
                limit = self.const(node.min_count)
                return f"({counter}(events, now, {limit}) >= {limit})"
            case _:
                assert_never(node)

    def event_match(self, node: EventCondition, event: str, props: str) -> tuple[list[str], str]:
        """Lines that read the `where` properties, and the test of type and where."""
        lines, tests = [], [f"{event}.type == {self.const(node.event)}"]
        if node.where:
            lines.append(f"{props} = {event}.properties")
        for prop in node.where:
            var = self.name("p")
            lines.append(f"{var} = {props}.get({self.const(prop.property)})")
            tests.append(self.condition(var, prop))
        return lines, " and ".join(tests)

    def event_counter(self, node: EventCondition) -> str:
        """A helper that counts the contact's events satisfying `node`, stopping at `limit`."""
        name = self.name("count")
        body = [f"def {name}(events, now, limit):", "    n = 0"]
        window = ""
        if node.within_days is not None:
            body.append(f"    cutoff = now - {self.const(timedelta(days=node.within_days))}")
            window = " and e.occurred_at >= cutoff"
        type_test = f"e.type == {self.const(node.event)}"
        body += ["    for e in events:", f"        if {type_test}{window}:"]
        lines, test = self.event_match(node, "e", "props")
        indent = "            "
        if node.where:
            body += [indent + line for line in lines]
            body += [f"{indent}if {test.removeprefix(type_test + ' and ')}:"]
            indent += "    "
        body += [f"{indent}n += 1", f"{indent}if n >= limit:", f"{indent}    return n"]
        body.append("    return n")
        self.helpers.append("\n".join(body))
        return name

    def compile(self, source: str, name: str) -> Any:
        code = "\n\n".join([*self.helpers, source])
        exec(compile(code, f"<rule {name}>", "exec"), self.namespace)
        return self.namespace[name]


def compile_predicate(rule: Rule) -> Predicate:
    """`predicate(fields, events, now)`: whether a contact with these fields and events matches."""
    source = _Source()
    expression = source.rule(rule)
    function = f"def predicate(fields, events, now):\n    return {expression}\n"
    predicate: Predicate = source.compile(function, "predicate")
    return predicate


def compile_condition(condition: FieldCondition) -> Callable[[Any, datetime], bool]:
    """`test(value, now)` for one field condition (explanations use it leaf by leaf)."""
    source = _Source()
    expression = source.condition("value", condition)
    return source.compile(f"def test(value, now):\n    return {expression}\n", "test")  # type: ignore[no-any-return]


def compile_event_counter(condition: EventCondition) -> EventCounter:
    """`count(events, now, limit)`: events that satisfy the condition, counted up to `limit`."""
    source = _Source()
    name = source.event_counter(condition)
    return source.compile(f"counter = {name}\n", "counter")  # type: ignore[no-any-return]


def count_all(counter: EventCounter, events: Sequence[EventRecord], now: datetime) -> int:
    return counter(events, now, sys.maxsize)


def compile_event_filter(condition: EventCondition) -> Callable[[EventRecord], bool]:
    """Whether one event has the condition's type and satisfies its `where` (count and window
    aside): the test of the spec's rule 2 for whether an arriving event can trigger a stream."""
    source = _Source()
    lines, test = source.event_match(condition, "event", "props")
    body = "".join(f"    {line}\n" for line in lines)
    return source.compile(f"def accepts(event):\n{body}    return {test}\n", "accepts")  # type: ignore[no-any-return]
