"""What a rule reads: the fields and the event conditions whose changes can affect it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from leadstreams.rules.ast import AllOf, AnyOf, EventCondition, FieldCondition, Not, Rule


@dataclass(frozen=True, slots=True)
class Reads:
    fields: frozenset[str]
    events: tuple[EventCondition, ...]  # each with its type and `where`; a change of these
    # can make a new match (product spec, rule 2)

    @property
    def event_types(self) -> frozenset[str]:
        return frozenset(condition.event for condition in self.events)


def reads(rule: Rule) -> Reads:
    fields: set[str] = set()
    events: list[EventCondition] = []

    def visit(node: Rule) -> None:
        match node:
            case AllOf(rules) | AnyOf(rules):
                for member in rules:
                    visit(member)
            case Not(inner):
                visit(inner)
            case FieldCondition():
                fields.add(node.field)
            case EventCondition():
                if node not in events:
                    events.append(node)
            case _:
                assert_never(node)

    visit(rule)
    return Reads(frozenset(fields), tuple(events))
