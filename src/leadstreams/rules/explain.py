"""Why a contact matches (or not): every condition, whether it held, and the value seen.

Slower than the compiled predicate (it evaluates every branch, to report them all), so it
runs once per match, not per contact. Leaves use the same generated tests as the predicate.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any, assert_never

from leadstreams.rules.ast import AllOf, AnyOf, EventCondition, FieldCondition, Not, Rule
from leadstreams.rules.describe import describe
from leadstreams.rules.dump import dump_value
from leadstreams.rules.evaluate import (
    EventRecord,
    Fields,
    compile_condition,
    compile_event_counter,
    count_all,
)
from leadstreams.rules.fields import Vocabulary

Explanation = dict[str, Any]  # JSON-ready: {"held": bool, "text": str, ...}


def explain(
    rule: Rule,
    fields: Fields,
    events: Sequence[EventRecord],
    now: datetime,
    vocabulary: Vocabulary | None = None,
) -> Explanation:
    return Explainer(rule, vocabulary)(fields, events, now)


class Explainer:
    """`explain` for one rule, with the plain English of its conditions written once: for
    explaining many contacts by the same rule."""

    def __init__(self, rule: Rule, vocabulary: Vocabulary | None = None) -> None:
        self.rule = rule
        vocabulary = vocabulary or Vocabulary.default()
        self._texts: dict[int, str] = {}  # by id() of the rule's nodes, which self.rule holds
        pending = [rule]
        while pending:
            node = pending.pop()
            self._texts[id(node)] = describe(node, vocabulary)
            match node:
                case AllOf(rules) | AnyOf(rules):
                    pending.extend(rules)
                case Not(inner):
                    pending.append(inner)

    def __call__(self, fields: Fields, events: Sequence[EventRecord], now: datetime) -> Explanation:
        return _Explaining(fields, events, now, self._texts).node(self.rule)


class _Explaining:
    def __init__(
        self, fields: Fields, events: Sequence[EventRecord], now: datetime, texts: dict[int, str]
    ) -> None:
        self.fields, self.events, self.now, self.texts = fields, events, now, texts

    def node(self, rule: Rule) -> Explanation:
        text = self.texts[id(rule)]
        match rule:
            case AllOf(rules) | AnyOf(rules):
                key = "all" if isinstance(rule, AllOf) else "any"
                members = [self.node(member) for member in rules]
                held = (all if key == "all" else any)(m["held"] for m in members)
                return {"held": held, "text": text, key: members}
            case Not(inner):
                explained = self.node(inner)
                return {"held": not explained["held"], "text": text, "not": explained}
            case FieldCondition():
                seen = self.fields.get(rule.field)
                held = _test(rule)(seen, self.now)
                return {"held": held, "text": text, "field": rule.field, "seen": _json(seen)}
            case EventCondition():
                count = count_all(_counter(rule), self.events, self.now)
                return {
                    "held": count >= rule.min_count,
                    "text": text,
                    "event": rule.event,
                    "count": count,
                    "min_count": rule.min_count,
                    "within_days": rule.within_days,
                }
            case _:
                assert_never(rule)


@lru_cache(maxsize=4096)
def _test(condition: FieldCondition) -> Any:
    return compile_condition(condition)


@lru_cache(maxsize=4096)
def _counter(condition: EventCondition) -> Any:
    return compile_event_counter(condition)


def _json(value: Any) -> Any:
    if isinstance(value, set | frozenset | list | tuple):
        return [dump_value(v) for v in sorted(value, key=str)]
    return dump_value(value)
