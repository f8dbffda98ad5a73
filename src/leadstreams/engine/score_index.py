"""The active score rules, compiled: which events and fields they read, and a contact's score.

Kept beside the stream index (`engine.index.StreamIndex.scoring`) and rebuilt with it, so that
an event no score rule reads costs one dictionary lookup.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from leadstreams.domain.scoring import Adjustment, Score, adjustment_totals, compute_totals
from leadstreams.rules import (
    EventCondition,
    EventRecord,
    Predicate,
    Reads,
    Rule,
    compile_predicate,
    reads,
)
from leadstreams.rules.evaluate import compile_event_filter
from leadstreams.rules.timing import Timed, combined, timed


@dataclass(frozen=True, slots=True)
class LiveScoreRule:
    id: int
    score_set_id: int
    score_set: str
    name: str
    points: int
    rule: Rule
    predicate: Predicate
    reads: Reads
    timed: Timed

    @classmethod
    def compile(
        cls, *, id: int, score_set_id: int, score_set: str, name: str, points: int, rule: Rule
    ) -> LiveScoreRule:
        return cls(id, score_set_id, score_set, name, points, rule, compile_predicate(rule),
                   reads(rule), timed(rule))  # fmt: skip


class ScoreIndex:
    """The score rules of the active sets; `any_active` even when those sets have no rules
    (then `lead_score` is still computed: adjustments only)."""

    def __init__(self, rules: Iterable[LiveScoreRule] = (), *, any_active: bool = False) -> None:
        self.rules = list(rules)
        self.any_active = any_active
        self.points = {rule.id: rule.points for rule in self.rules}
        self.reads = [rule.reads for rule in self.rules]
        self.timed = combined(rule.timed for rule in self.rules)  # every rule's timed parts
        # A rule that is one windowed event condition counting one event holds exactly when
        # its window's oldest counted event (found anyway, for the next change) exists: its
        # predicate need not read the events again (the bulk recompute does the same in SQL).
        windows = self.timed.windows
        self._by_window = [
            (rule.id, windows.index(rule.rule)) for rule in self.rules
            if isinstance(rule.rule, EventCondition) and rule.rule.min_count <= 1
            and rule.rule in windows
        ]  # fmt: skip
        by_window = {rule_id for rule_id, _ in self._by_window}
        self._tested = [rule for rule in self.rules if rule.id not in by_window]
        self._fields = frozenset(name for r in self.reads for name in r.fields)
        self._by_type: dict[str, list[Callable[[EventRecord], bool]]] = defaultdict(list)
        for read in self.reads:
            for condition in read.events:
                self._by_type[condition.event].append(compile_event_filter(condition))

    def for_event(self, event: EventRecord) -> bool:
        """Whether the event can change a score: some rule counts events like it."""
        tests = self._by_type.get(event.type)
        return tests is not None and any(test(event) for test in tests)

    def for_fields(self, changed: Iterable[str]) -> bool:
        return self.any_active and not self._fields.isdisjoint(changed)

    def score(
        self,
        fields: dict[str, object],
        events: Sequence[EventRecord],
        adjustments: Iterable[Adjustment],
        now: datetime,
    ) -> Score:
        """The contact's score now, in Python (the bulk recompute computes it in SQL)."""
        terms = ((a.points, a.expires_at) for a in adjustments)
        adjusted, next_expiry = adjustment_totals(terms, now)
        return self.score_adjusted(fields, events, adjusted, next_expiry, now)

    def score_adjusted(
        self,
        fields: dict[str, object],
        events: Sequence[EventRecord],
        adjusted: int,
        next_expiry: datetime | None,
        now: datetime,
    ) -> Score:
        """`score` with the active adjustments already summed (`adjusted`) and their
        earliest expiry (`next_expiry`)."""
        holding = [rule.id for rule in self._tested if rule.predicate(fields, events, now)]
        moment = None
        if not self.timed.timeless:
            oldest = self.timed.earliest_in_window(events, now)
            holding += [rule_id for rule_id, at in self._by_window if oldest[at] is not None]
            moment = self.timed.next_change(oldest, fields, now)
        return compute_totals(
            holding=holding,
            points=self.points,
            adjusted=adjusted,
            next_expiry=next_expiry,
            rules_change_at=moment,
            now=now,
        )


def expires_at(
    rule: LiveScoreRule,
    fields: dict[str, object],
    events: Sequence[EventRecord],
    now: datetime,
    *,
    steps: int = 1_000,
) -> datetime | None:
    """When a rule that holds now stops holding by time alone (None: not by time): from one
    moment a timed condition may change to the next, until the rule no longer holds."""
    at = now
    for _ in range(steps):
        moment = rule.timed.next_change(rule.timed.earliest_in_window(events, at), fields, at)
        if moment is None or not rule.predicate(fields, events, moment):
            return moment
        at = moment
    return None
