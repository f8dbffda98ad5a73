"""When a rule's value can change by time alone, for a contact as it is now.

Only two kinds of condition depend on "now": an event condition with a window (an event
leaves the window) and a datetime field compared with days from now (`within_last_days`,
`more_than_days_ago`). The moments below are exact instants: the first microsecond at which
the condition may read differently, so that an evaluation at that moment sees the change.
Polarity does not matter (a `not` flips at the same moments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, assert_never

from leadstreams.rules.ast import AllOf, AnyOf, EventCondition, FieldCondition, Not, Op, Rule
from leadstreams.rules.evaluate import EventRecord, compile_event_filter

TICK = timedelta(microseconds=1)  # the resolution datetimes are stored with
_DATED = (Op.WITHIN_LAST_DAYS, Op.MORE_THAN_DAYS_AGO)


# A windowed condition's position in `windows`, its filter (type and `where`) and its window.
_Window = tuple[int, Callable[[EventRecord], bool], timedelta]


@dataclass(frozen=True, slots=True)
class Timed:
    """The conditions of a rule whose value depends on the time of evaluation."""

    windows: tuple[EventCondition, ...]  # event conditions with `within_days`
    dated: tuple[FieldCondition, ...]  # datetime fields compared with days from now
    # The windowed conditions by event type, with their compiled filters: made at first use.
    _grouped: dict[str, list[_Window]] = field(default_factory=dict, compare=False, repr=False)
    # Per windowed condition, how long after its oldest counted event it can change: its
    # window and a tick (made at first use: a live score takes it for every event).
    _leaves: list[timedelta] = field(default_factory=list, compare=False, repr=False)

    @property
    def timeless(self) -> bool:
        return not self.windows and not self.dated

    def earliest_in_window(
        self, events: Sequence[EventRecord], now: datetime
    ) -> list[datetime | None]:
        """For each windowed condition (in the order of `windows`), the oldest event it
        counts at `now` (None: none), in one pass over the events, each tested only by the
        conditions on its type."""
        found: list[datetime | None] = [None] * len(self.windows)
        by_type = self._grouped or self._group()
        for event in events:
            for position, accepts, span in by_type.get(event.type, ()):
                at = event.occurred_at
                if at >= now - span and accepts(event):
                    oldest = found[position]
                    if oldest is None or at < oldest:
                        found[position] = at
        return found

    def _group(self) -> dict[str, list[_Window]]:
        grouped: dict[str, list[_Window]] = {}
        for position, condition in enumerate(self.windows):
            assert condition.within_days is not None
            span = timedelta(days=condition.within_days)
            window = (position, compile_event_filter(condition), span)
            grouped.setdefault(condition.event, []).append(window)
        self._grouped.update(grouped)  # whole lists at once: threads sharing it see no half
        return grouped

    def _leave(self) -> list[timedelta]:
        leaves = []
        for condition in self.windows:
            assert condition.within_days is not None
            leaves.append(timedelta(days=condition.within_days) + TICK)
        self._leaves[:] = leaves  # the whole list at once, as `_group`
        return leaves

    def next_change(
        self,
        earliest: Sequence[datetime | None],
        fields: Mapping[str, Any],
        now: datetime,
    ) -> datetime | None:
        """The first moment after `now` at which a timed condition may read differently,
        given each window's oldest counted event (`earliest_in_window`, or the same read in
        SQL, in the order of `windows`) and the contact's fields; None when time alone
        changes nothing."""
        leaves = self._leaves or self._leave()
        moments = [
            oldest + after
            for oldest, after in zip(earliest, leaves, strict=True)
            if oldest is not None
        ]
        for cond in self.dated:
            value = fields.get(cond.field)
            if not isinstance(value, datetime):
                continue
            days = timedelta(days=int(cond.value))  # type: ignore[arg-type]
            moments.append(value + days + TICK)  # leaves "within", becomes "more than ago"
            if cond.op is Op.WITHIN_LAST_DAYS:
                moments.append(value)  # a future date enters "within the last days"
        return min((m for m in moments if m > now), default=None)


def combined(parts: Iterable[Timed]) -> Timed:
    """The timed conditions of several rules as one: its next change is the earliest of
    theirs (what a score needs, whichever rule it is that changes)."""
    parts = list(parts)
    windows = tuple(dict.fromkeys(c for part in parts for c in part.windows))
    dated = tuple(dict.fromkeys(c for part in parts for c in part.dated))
    return Timed(windows, dated)


def timed(rule: Rule) -> Timed:
    windows: list[EventCondition] = []
    dated: list[FieldCondition] = []

    def visit(node: Rule) -> None:
        match node:
            case AllOf(rules) | AnyOf(rules):
                for member in rules:
                    visit(member)
            case Not(inner):
                visit(inner)
            case FieldCondition():
                if node.op in _DATED and node not in dated:
                    dated.append(node)
            case EventCondition():
                if node.within_days is not None and node not in windows:
                    windows.append(node)
            case _:
                assert_never(node)

    visit(rule)
    return Timed(tuple(windows), tuple(dated))
