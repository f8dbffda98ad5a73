"""The index from event types and field names to the active streams that read them.

The cost of one change grows with the streams that read it, not with all streams (rule 2).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from leadstreams.rules import (
    EventRecord,
    Predicate,
    Reads,
    Rule,
    Vocabulary,
    compile_event_filter,
    compile_predicate,
    reads,
)


@dataclass(frozen=True, slots=True)
class LiveStream:
    id: int
    version: int
    rule: Rule
    predicate: Predicate
    reads: Reads
    accepts: tuple[tuple[str, Callable[[EventRecord], bool]], ...]  # (type, type+where test)
    requalify_after_days: int | None

    @classmethod
    def compile(
        cls, *, id: int, version: int, rule: Rule, requalify_after_days: int | None
    ) -> LiveStream:
        read = reads(rule)
        accepts = tuple((c.event, compile_event_filter(c)) for c in read.events)
        return cls(id, version, rule, compile_predicate(rule), read, accepts, requalify_after_days)

    def triggered_by(self, event: EventRecord) -> bool:
        return any(test(event) for type_, test in self.accepts if type_ == event.type)


class StreamIndex:
    def __init__(self, streams: Iterable[LiveStream], vocabulary: Vocabulary) -> None:
        self.streams = {s.id: s for s in streams}
        self.vocabulary = vocabulary
        self._by_event_type: dict[str, list[LiveStream]] = defaultdict(list)
        self._by_field: dict[str, list[LiveStream]] = defaultdict(list)
        for stream in self.streams.values():
            for event_type in stream.reads.event_types:
                self._by_event_type[event_type].append(stream)
            for name in stream.reads.fields:
                self._by_field[name].append(stream)

    def for_event(self, event: EventRecord) -> list[LiveStream]:
        """Streams with an event condition whose type and `where` this event satisfies."""
        return [s for s in self._by_event_type.get(event.type, ()) if s.triggered_by(event)]

    def for_fields(self, changed: Iterable[str]) -> list[LiveStream]:
        found: dict[int, LiveStream] = {}
        for name in changed:
            for stream in self._by_field.get(name, ()):
                found[stream.id] = stream
        return list(found.values())
