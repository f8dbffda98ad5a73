"""The index from event types and field names to the active streams that read them.

The cost of one change grows with the streams that read it, not with all streams (rule 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leadstreams.rules import (
    EventRecord,
    Explainer,
    Predicate,
    Reads,
    Rule,
    Vocabulary,
    compile_event_filter,
    compile_predicate,
    reads,
)

# The tests of the `where` of a stream's conditions on one event type; None when one of them
# takes any event of the type.
_Tests = tuple[Callable[[EventRecord], bool], ...] | None


@dataclass(frozen=True, slots=True)
class LiveStream:
    id: int
    version: int
    rule: Rule
    predicate: Predicate
    reads: Reads
    accepts: dict[str, _Tests]  # by the event types it reads
    requalify_after_days: int | None

    @classmethod
    def compile(
        cls, *, id: int, version: int, rule: Rule, requalify_after_days: int | None
    ) -> LiveStream:
        read = reads(rule)
        accepts: dict[str, _Tests] = {}
        for condition in read.events:
            tests = accepts.get(condition.event, ())
            if tests is not None:
                where = condition.where and compile_event_filter(condition)
                accepts[condition.event] = (*tests, where) if where else None
        return cls(id, version, rule, compile_predicate(rule), read, accepts, requalify_after_days)

    def triggered_by(self, event: EventRecord) -> bool:
        if event.type not in self.accepts:
            return False
        tests = self.accepts[event.type]
        return tests is None or any(test(event) for test in tests)


class StreamIndex:
    def __init__(self, streams: Iterable[LiveStream], vocabulary: Vocabulary) -> None:
        self.streams = {s.id: s for s in streams}
        self.vocabulary = vocabulary
        self._by_event_type: dict[str, list[tuple[LiveStream, _Tests]]] = defaultdict(list)
        self._by_field: dict[str, list[LiveStream]] = defaultdict(list)
        self._explainers: dict[int, Explainer] = {}
        for stream in self.streams.values():
            for event_type, tests in stream.accepts.items():
                self._by_event_type[event_type].append((stream, tests))
            for name in stream.reads.fields:
                self._by_field[name].append(stream)

    def for_event(self, event: EventRecord) -> list[LiveStream]:
        """Streams with an event condition whose type and `where` this event satisfies."""
        return [
            stream
            for stream, tests in self._by_event_type.get(event.type, ())
            if tests is None or any(test(event) for test in tests)
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
