"""What a rule reads: the fields and the event conditions whose changes can affect it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
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

    def events_since(self, now: datetime) -> datetime | None:
        """The oldest event an evaluation at `now` can need; None when some event condition
        has no window (then every event of the types counts), or when none reads events."""
        windows = [condition.within_days for condition in self.events]
        if not windows or any(days is None for days in windows):
            return None
        return now - timedelta(days=max(days for days in windows if days is not None))


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
