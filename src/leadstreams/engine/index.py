"""The index from event types and field names to the active streams that read them.

The cost of one change grows with the streams that read it, not with all streams (rule 2).
"""

from __future__ import annotations

from bisect import bisect_right
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
from leadstreams.rules.ast import AllOf, FieldCondition, Op

SCORE_FIELD = "lead_score"

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


def floor_of(rule: Rule, name: str) -> tuple[float, bool] | None:
    """The least value of the number field `name` at which `rule` can hold, when one of its
    top-level conditions asks for one: (the value, whether strictly above it). None: any."""
    conditions = rule.rules if isinstance(rule, AllOf) else (rule,)
    floors = []
    for condition in conditions:
        if not isinstance(condition, FieldCondition) or condition.field != name:
            continue
        value = condition.value
        if condition.op in (Op.GTE, Op.EQ) and isinstance(value, int | float):
            floors.append((float(value), False))
        elif condition.op is Op.GT and isinstance(value, int | float):
            floors.append((float(value), True))
        elif condition.op is Op.BETWEEN and isinstance(value, tuple):
            floors.append((float(value[0]), False))  # type: ignore[arg-type]
    return max(floors) if floors else None


def union(*groups: Iterable[LiveStream]) -> list[LiveStream]:
    """The streams of these groups, each once, in the order first seen."""
    return list({stream.id: stream for group in groups for stream in group}.values())


class _ByScore:
    """The streams that read `lead_score`, by the least score each can hold at: a score
    change evaluates only those its new value can satisfy. Skipping the others is exact: the
    predicate of each is false at that score, and a false predicate changes nothing."""

    def __init__(self, streams: Iterable[LiveStream]) -> None:
        floored = []
        self.any: list[LiveStream] = []  # no floor: every score may satisfy them
        for stream in streams:
            floor = floor_of(stream.rule, SCORE_FIELD)
            if floor is None:
                self.any.append(stream)
            else:
                floored.append((floor, stream))
        floored.sort(key=lambda pair: pair[0])
        self.floors = [floor for floor, _ in floored]
        self.streams = [stream for _, stream in floored]

    def at(self, score: object) -> list[LiveStream]:
        if not isinstance(score, int | float):
            return list(self.any)
        # The floors `score` reaches: below it, or equal to it and not strict.
        return [*self.any, *self.streams[: bisect_right(self.floors, (float(score), False))]]


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
        self._by_score = _ByScore(self._by_field.get(SCORE_FIELD, ()))

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

    def for_score(self, score: object) -> list[LiveStream]:
        """The streams reading `lead_score` that a contact with this score may satisfy (a
        subset of `for_fields(["lead_score"])`)."""
        return self._by_score.at(score)

    def for_fields(self, changed: Iterable[str]) -> list[LiveStream]:
        found: dict[int, LiveStream] = {}
        for name in changed:
            for stream in self._by_field.get(name, ()):
                found[stream.id] = stream
        return list(found.values())
