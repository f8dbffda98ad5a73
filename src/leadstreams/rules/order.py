"""The order in which the compiled forms test the branches of an `all` or `any`.

A rule states its conditions in the order a person thought of them, often the event count
first ("asked twice this month, and Nordic, and not a customer"). Testing a field is a
dictionary read and a comparison; counting events walks the contact's events (in SQL, a
correlated subquery per row). Both are pure and total, so `and` and `or` give the same
answer in any order (also under SQL's three-valued logic): the compiled predicate and SQL
test the branches that read no events first, and keep the stated order otherwise.
Explanations and `dump` keep the rule as stated.
"""

from __future__ import annotations

from typing import assert_never

from leadstreams.rules.ast import AllOf, AnyOf, EventCondition, FieldCondition, Not, Rule


def reads_events(rule: Rule) -> bool:
    """Whether testing `rule` may count events (the expensive part of a rule)."""
    match rule:
        case AllOf(rules) | AnyOf(rules):
            return any(reads_events(r) for r in rules)
        case Not(inner):
            return reads_events(inner)
        case FieldCondition():
            return False
        case EventCondition():
            return True
        case _:
            assert_never(rule)


def cheap_first(rules: tuple[Rule, ...]) -> tuple[Rule, ...]:
    """The branches of an `all` or `any`: those that read only fields first, in their order,
    then those that count events, in theirs."""
    return tuple(sorted(rules, key=reads_events))  # sorted() is stable: False before True
