"""The index from event types and field names to the active streams that read them.

The cost of one change grows with the streams that read it, not with all streams (rule 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from leadstreams.engine.score_index import ScoreIndex
from leadstreams.rules import (
    EventCondition,
    EventRecord,
    Explainer,
    Predicate,
    PropertyCondition,
    Reads,
    Rule,
    Vocabulary,
    compile_event_filter,
    compile_predicate,
    reads,
)

# A stream's event conditions on one type that have a `where`; None when one of them takes
# any event of the type.
_Wheres = tuple[EventCondition, ...] | None


@dataclass(frozen=True, slots=True)
class LiveStream:
    id: int
    version: int
    rule: Rule
    predicate: Predicate
    reads: Reads
    accepts: dict[str, _Wheres]  # by the event types it reads
    requalify_after_days: int | None

    @classmethod
    def compile(
        cls, *, id: int, version: int, rule: Rule, requalify_after_days: int | None
    ) -> LiveStream:
        read = reads(rule)
        accepts: dict[str, _Wheres] = {}
        for condition in read.events:
            conditions = accepts.get(condition.event, ())
            if conditions is not None:
                accepts[condition.event] = (*conditions, condition) if condition.where else None
        return cls(id, version, rule, compile_predicate(rule), read, accepts, requalify_after_days)


@dataclass(slots=True)
class _ByType:
    """The streams that events of one type may trigger. Each distinct `where` is compiled
    and tested once per event, however many streams share it."""

    tests: list[Callable[[EventRecord], bool]] = field(default_factory=list)
    numbers: dict[tuple[PropertyCondition, ...], int] = field(default_factory=dict)
    # Each stream with the numbers of its tests, None when any event of the type triggers it.
    streams: list[tuple[LiveStream, frozenset[int] | None]] = field(default_factory=list)

    def add(self, stream: LiveStream, conditions: _Wheres) -> None:
        if conditions is None:
            self.streams.append((stream, None))
            return
        for condition in conditions:
            if condition.where not in self.numbers:
                self.numbers[condition.where] = len(self.tests)
                self.tests.append(compile_event_filter(condition))
        numbers = frozenset(self.numbers[condition.where] for condition in conditions)
        self.streams.append((stream, numbers))


class StreamIndex:
    def __init__(
        self,
        streams: Iterable[LiveStream],
        vocabulary: Vocabulary,
        scoring: ScoreIndex | None = None,
    ) -> None:
        self.streams = {s.id: s for s in streams}
        self.vocabulary = vocabulary
        self.scoring = scoring or ScoreIndex()  # the active score rules, read with the streams
        self._by_event_type: dict[str, _ByType] = defaultdict(_ByType)
        self._by_field: dict[str, list[LiveStream]] = defaultdict(list)
        self._explainers: dict[int, Explainer] = {}
        for stream in self.streams.values():
            for event_type, conditions in stream.accepts.items():
                self._by_event_type[event_type].add(stream, conditions)
            for name in stream.reads.fields:
                self._by_field[name].append(stream)

    def for_event(self, event: EventRecord) -> list[LiveStream]:
        """Streams with an event condition whose type and `where` this event satisfies."""
        by_type = self._by_event_type.get(event.type)
        if by_type is None:
            return []
        passed = {number for number, test in enumerate(by_type.tests) if test(event)}
        return [
            stream
            for stream, numbers in by_type.streams
            if numbers is None or not numbers.isdisjoint(passed)
        ]

    def explainer(self, stream: LiveStream) -> Explainer:
        """The stream's explainer, made at its first match in this index's life."""
        if stream.id not in self._explainers:
            self._explainers[stream.id] = Explainer(stream.rule, self.vocabulary)
        return self._explainers[stream.id]

    def for_fields(self, changed: Iterable[str]) -> list[LiveStream]:
        found: dict[int, LiveStream] = {}
        for name in changed:
            for stream in self._by_field.get(name, ()):
                found[stream.id] = stream
        return list(found.values())
