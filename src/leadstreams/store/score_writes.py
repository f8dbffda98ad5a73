"""The bulk recompute and the sweep written in SQL: no contact comes to Python.

One `INSERT ... SELECT` reads, per contact, its score state, a flag per score rule that needs
a test of its own (`store.scores.Recompute`), the oldest event each windowed condition counts
and the active adjustments' sum and next expiry, the last two each in one grouped pass over
the chunk's rows (`min(...) FILTER (WHERE ...)` per window, `GROUP BY contact_id`), not one
lookup per contact and condition. It adds the points, spells the rules giving points as the
JSON list the state keeps, takes the next change by time alone, and keeps in a temporary
table only the contacts whose score, rules or next change moved. Three statements then
write, from that table, `lead_score` (returning the ids whose score moved, for the streams
on `lead_score`), the history rows (with the rules that started and stopped giving points,
as `domain.scoring.change_reason` says them) and the states.

The statements are built once per rule set and dialect (`services.score_jobs` keeps them with
the score index): "now" and the windows' cutoffs are named parameters, so a chunk or a sweep
only binds its values, and SQLAlchemy and the database reuse what they compiled.

The next change is computed as `rules.timing.Timed.next_change` computes it: each window's
oldest counted event plus the window and one microsecond (always after now, since the event
is in the window), and the adjustments' next expiry (after now, since only those count),
the earliest of them. A rule set with dated fields (`within_last_days`, `more_than_days_ago`
on a datetime field) is left to the Python path (`services.score_jobs`): its moments depend
on how each field is kept, and such sets are rare.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.elements import TextClause

from leadstreams.rules.compile_sql import event_filter
from leadstreams.store.rule_columns import EVENT_COLUMNS
from leadstreams.store.scores import Recompute
from leadstreams.store.sql import Among
from leadstreams.store.tables import Id, contact_scores, contacts, events, score_adjustments
from leadstreams.store.types import Json, UTCDateTime

# The sorted rule ids that left a contact's list and those that entered it: (SQLite,
# PostgreSQL). json_each walks a list in order, and the lists are kept sorted; an empty list
# on either side (a first score, a last set switched off) needs no walk.
_LEFT_AND_ENTERED = {
    False: (
        """json(CASE WHEN w.holding = '[]' THEN w.old_holding WHEN w.old_holding = '[]'
        THEN '[]' ELSE (SELECT json_group_array(x.value) FROM json_each(w.old_holding) AS x
        WHERE x.value NOT IN (SELECT y.value FROM json_each(w.holding) AS y)) END)""",
        """json(CASE WHEN w.old_holding = '[]' THEN w.holding WHEN w.holding = '[]'
        THEN '[]' ELSE (SELECT json_group_array(x.value) FROM json_each(w.holding) AS x
        WHERE x.value NOT IN (SELECT y.value FROM json_each(w.old_holding) AS y)) END)""",
    ),
    True: (
        """CASE WHEN w.holding = '[]'::jsonb THEN w.old_holding
        WHEN w.old_holding = '[]'::jsonb THEN '[]'::jsonb
        ELSE (SELECT coalesce(jsonb_agg(x.v ORDER BY x.v), '[]'::jsonb)
        FROM jsonb_array_elements(w.old_holding) AS x(v) WHERE NOT w.holding @> x.v) END""",
        """CASE WHEN w.old_holding = '[]'::jsonb THEN w.holding
        WHEN w.holding = '[]'::jsonb THEN '[]'::jsonb
        ELSE (SELECT coalesce(jsonb_agg(x.v ORDER BY x.v), '[]'::jsonb)
        FROM jsonb_array_elements(w.holding) AS x(v) WHERE NOT w.old_holding @> x.v) END""",
    ),
}

# The work table: one row per contact whose score, rules or next change moved.
_WORK = Table(
    "score_work",
    MetaData(),
    Column("contact_id", Id, primary_key=True),  # SQLite's rowid: looked up by it
    Column("old_score", Integer),
    Column("old_holding", Json),
    Column("value", Integer),
    Column("holding", Json),
    Column("changes_at", UTCDateTime),
    Column("moved", Integer),  # 1 when the score or the rules giving points moved
    prefixes=["TEMPORARY"],
)
_CREATE_WORK = CreateTable(_WORK, if_not_exists=True)
# The new states of the contacts whose score, rules or next change moved, in one lock order.
# Written out: SQLAlchemy caches no compiled ON CONFLICT DO UPDATE, and compiling it again at
# every sweep took as long as the statement. (WHERE true: SQLite's reading of ON CONFLICT
# after a SELECT.)
_STATES = text(
    """INSERT INTO contact_scores (contact_id, holding, changes_at)
    SELECT contact_id, holding, changes_at FROM score_work WHERE true ORDER BY contact_id
    ON CONFLICT (contact_id) DO UPDATE
    SET holding = excluded.holding, changes_at = excluded.changes_at"""
)
_EMPTY_WORK = delete(_WORK)


def supported(plan: Recompute) -> bool:
    """Whether the plan's next change can be computed in SQL (no dated fields)."""
    return not plan.fields


class SetRecompute:
    """The recompute of some contacts (a range of ids, or a list) with one plan, in SQL: the
    statements, built once, for any moment."""

    def __init__(self, plan: Recompute, points: Mapping[int, int], *, dialect: str) -> None:
        assert supported(plan), "dated fields are computed in Python"
        self.plan, self.points, self.dialect = plan, points, dialect
        self._fills: dict[str, Any] = {}  # built when first used: a job or a sweep uses one
        self._histories: dict[tuple[tuple[str, bool], ...], Any] = {}
        self._update = self._score_update()

    def range(
        self,
        connection: Connection,
        *,
        low: int,
        high: int | None,
        now: datetime,
        reason: Mapping[str, str | int | None],
    ) -> tuple[int, list[int]]:
        """The contacts in (low, high] (every one after `low` without `high`): (how many were
        read, the ids whose score moved)."""
        where = [contacts.c.id > low] + ([contacts.c.id <= high] if high is not None else [])
        read = connection.scalar(select(func.count()).select_from(contacts).where(*where))
        values = {"low": low} if high is None else {"low": low, "high": high}
        fill = self._filling("after" if high is None else "between")
        return read or 0, self._run(connection, fill, values, now, reason)

    def ids(
        self,
        connection: Connection,
        contact_ids: Sequence[int],
        *,
        now: datetime,
        reason: Mapping[str, str | int | None],
    ) -> list[int]:
        """These contacts: the ids whose score moved."""
        values = {"ids": sorted(contact_ids)}
        return self._run(connection, self._filling("ids"), values, now, reason)

    def _filling(self, contacts_read: str) -> Any:
        found = self._fills.get(contacts_read)
        if found is None:
            found = self._fills.setdefault(contacts_read, self._fill(contacts_read))
        return found

    def _run(
        self,
        connection: Connection,
        fill: Any,
        values: dict[str, Any],
        now: datetime,
        reason: Mapping[str, str | int | None],
    ) -> list[int]:
        connection.execute(_create_work(connection))
        connection.execute(fill, values | self.plan.values(now))
        moved = sorted(connection.scalars(self._update))
        connection.execute(self._history(reason), _reason_values(now, reason))
        connection.execute(_STATES)
        # Kept for the connection's next recompute, empty: creating and dropping it would
        # make SQLite prepare the connection's statements again. (A failure rolls back the
        # rows with the transaction: no cleanup that could hide the error.)
        connection.execute(_EMPTY_WORK)
        return moved

    def _contacts(self, contacts_read: str, contact_id: Any) -> list[ColumnElement[bool]]:
        """The test of the contacts read: after `low`, in (low, high], or among `ids`."""
        if contacts_read == "ids":
            return [Among(contact_id, "ids")]
        after = [contact_id > bindparam("low", type_=BigInteger())]
        if contacts_read == "after":
            return after
        return [*after, contact_id <= bindparam("high", type_=BigInteger())]

    def _fill(self, contacts_read: str) -> Any:
        """The contacts whose score, rules or next change moved into the work table: each
        contact's state (its rules defaulting to an empty list), flags, windows' oldest events
        and adjustments (read once: OFFSET 0 keeps the databases from merging the read into
        the steps after it, which would repeat it), then the score, the rules giving points (a
        sorted JSON list), the next change, and whether the score or its rules moved."""
        plan = self.plan
        empty = "'[]'::jsonb" if self.dialect == "postgresql" else "'[]'"
        adjustments = self._adjustments(contacts_read)
        joined = contacts.outerjoin(contact_scores).outerjoin(
            adjustments, adjustments.c.contact_id == contacts.c.id
        )
        oldest = [found.label(f"o{at}") for at, found in enumerate(plan.oldest)]
        if plan.windows and contacts_read != "ids":
            windows = self._windows(contacts_read)
            joined = joined.outerjoin(windows, windows.c.contact_id == contacts.c.id)
            oldest = [windows.c[f"o{at}"] for at in range(len(plan.windows))]
        read = (
            select(
                contacts.c.id.label("contact_id"),
                contacts.c.lead_score.label("old_score"),
                func.coalesce(contact_scores.c.holding, literal_column(empty)).label("old_holding"),
                contact_scores.c.changes_at.label("old_changes_at"),
                func.coalesce(adjustments.c.adjusted, 0).label("adjusted"),
                adjustments.c.expiry.label("expiry"),
                *[flag.label(f"f{k}") for k, flag in enumerate(plan.flags)],
                *oldest,
            )
            .select_from(joined)
            .where(*self._contacts(contacts_read, contacts.c.id))
            .offset(0)
            .subquery("read")
        )
        r = read.c
        held: list[tuple[int, ColumnElement[bool]]] = [
            (rule_id, r[f"f{k}"] == 1) for k, rule_id in enumerate(plan.rule_ids)
        ]
        held += [(rule_id, r[f"o{at}"].is_not(None)) for rule_id, at in plan.by_window.items()]
        held.sort(key=lambda pair: pair[0])
        value: ColumnElement[Any] = r.adjusted
        listed: ColumnElement[Any] = literal("", type_=Text())
        for rule_id, holds in held:
            value = value + case((holds, literal(self.points[rule_id])), else_=0)
            listed = listed + case((holds, literal(f"{rule_id}, ")), else_="")
        # As json.dumps writes a list, so that SQLite can compare it as text.
        holding = literal("[", type_=Text()) + func.rtrim(listed, ", ") + literal("]")
        if self.dialect == "postgresql":
            holding = cast(holding, JSONB)
        groups = self._window_groups(r)
        summed = (
            select(
                *[r.contact_id, r.old_score, r.old_holding, r.old_changes_at, r.expiry],
                value.label("value"),
                holding.label("holding"),
                *[earliest.label(f"g{n}") for n, (_, earliest) in enumerate(groups)],
            )
            .offset(0)
            .subquery("summed")
        )
        s = summed.c
        moments = [self._shift(s[f"g{n}"], days) for n, (days, _) in enumerate(groups)]
        computed = (
            select(
                *[s.contact_id, s.old_score, s.old_holding, s.value, s.holding],
                self._earliest([*moments, s.expiry]).label("changes_at"),
                self._moved(s).label("moved"),
                s.old_changes_at,
            )
            .offset(0)
            .subquery("computed")
        )
        c = computed.c
        names = [column.name for column in _WORK.c]
        rows = select(*[c[name] for name in names]).where(
            (c.moved == 1) | c.changes_at.is_distinct_from(c.old_changes_at)
        )
        return insert(_WORK).from_select(names, rows)

    def _windows(self, contacts_read: str) -> Any:
        """Per contact, the oldest event each windowed condition counts: one grouped pass
        over the events of a range of contacts that some window may count, cheaper over a
        range than a seek per contact and window. (Not for a list of contacts, the sweep's:
        those due are often the ones with the most events, each of which the pass reads,
        where the seeks of `Recompute.oldest` read one entry per window.)"""
        plan = self.plan
        counted = [
            and_(*event_filter(condition, EVENT_COLUMNS),
                 events.c.occurred_at >= plan.cutoff(condition))
            for condition in plan.windows
        ]  # fmt: skip
        oldest = [
            func.min(events.c.occurred_at).filter(test).label(f"o{at}")
            for at, test in enumerate(counted)
        ]
        longest = max(plan.windows, key=lambda condition: condition.within_days or 0)
        types = sorted({condition.event for condition in plan.windows})
        occurred_at: ColumnElement[Any] = events.c.occurred_at
        if self.dialect == "sqlite":
            # A unary + keeps SQLite's planner off the index on (contact_id, occurred_at),
            # which reads each event's row for its type: the contacts' events are then read
            # off the one on (contact_id, type, occurred_at) alone.
            occurred_at = literal_column("+events.occurred_at", UTCDateTime())
        return (
            select(events.c.contact_id, *oldest)
            .where(
                *self._contacts(contacts_read, events.c.contact_id),
                events.c.type.in_([literal(name) for name in types]),  # no expanding IN
                occurred_at >= plan.cutoff(longest),
            )
            .group_by(events.c.contact_id)
            .subquery("windows")
        )

    def _adjustments(self, contacts_read: str) -> Any:
        """Per contact with adjustments that count now, their sum and next expiry."""
        a = score_adjustments
        return (
            select(
                a.c.contact_id,
                func.sum(a.c.points).label("adjusted"),
                func.min(a.c.expires_at).label("expiry"),
            )
            .where(*self._contacts(contacts_read, a.c.contact_id), self.plan.adjustment_counts(a))
            .group_by(a.c.contact_id)
            .subquery("adjustments")
        )

    def _moved(self, s: Any) -> ColumnElement[int]:
        """1 when the score or the rules giving points moved."""
        if self.dialect == "postgresql":
            return case((s.value != s.old_score, 1), (s.old_holding == s.holding, 0), else_=1)
        same = func.json(s.old_holding) == func.json(s.holding)  # however the old was spelled
        return case(
            (s.value != s.old_score, 1), (s.old_holding == s.holding, 0), (same, 0), else_=1
        )

    def _window_groups(self, r: Any) -> list[tuple[int, ColumnElement[Any]]]:
        """The windows by length, each length with the oldest event its windows count: one
        moment per length (`Timed.next_change` takes the earliest anyway)."""
        by_days: dict[int, list[ColumnElement[Any]]] = {}
        for at, condition in enumerate(self.plan.windows):
            assert condition.within_days is not None
            by_days.setdefault(condition.within_days, []).append(r[f"o{at}"])
        return [(days, self._earliest(group)) for days, group in by_days.items()]

    def _score_update(self) -> Any:
        """`lead_score` of the contacts whose score moved, returning their ids (looked up by
        id: an UPDATE ... FROM would have SQLite scan every contact for the work table's)."""
        w = _WORK.c
        changed = select(w.contact_id).where(w.value != w.old_score)
        score = select(w.value).where(w.contact_id == contacts.c.id).scalar_subquery()
        return (
            update(contacts)
            .where(contacts.c.id.in_(changed))
            .values(lead_score=score)
            .returning(contacts.c.id)
        )

    def _history(self, reason: Mapping[str, str | int | None]) -> Any:
        """A history row for each contact whose score or rules moved: the reason's `started`
        and `stopped` are the sorted rule ids that entered and left its list."""
        shape = tuple((key, isinstance(value, str)) for key, value in reason.items())
        found = self._histories.get(shape)
        if found is None:
            found = self._histories.setdefault(shape, self._history_statement(shape))
        return found

    def _history_statement(self, shape: tuple[tuple[str, bool], ...]) -> Any:
        keys = ", ".join(
            f"'{key}', CAST(:reason_{n} AS {'TEXT' if is_text else 'BIGINT'})"
            for n, (key, is_text) in enumerate(shape)
        )
        left, entered = _LEFT_AND_ENTERED[self.dialect == "postgresql"]
        if self.dialect == "postgresql":
            reason = f"jsonb_build_object({keys}, 'started', {entered}, 'stopped', {left})"
        else:
            reason = f"json_object({keys}, 'started', {entered}, 'stopped', {left})"
        statement = text(
            f"""INSERT INTO score_history (contact_id, at, value, reason)
            SELECT w.contact_id, :at, w.value, {reason} FROM {_WORK.name} AS w
            WHERE w.moved = 1 ORDER BY w.contact_id"""  # noqa: S608 (constant keys, bound values)
        )
        return statement.bindparams(bindparam("at", type_=UTCDateTime()))

    def _earliest(self, moments: list[ColumnElement[Any]]) -> ColumnElement[Any]:
        """The earliest of moments, None among them left out (None when all are)."""
        if len(moments) == 1:
            return moments[0]
        if self.dialect == "postgresql":
            return func.least(*moments)  # NULLs are left out
        never = literal("~")  # after any stored datetime ('YYYY-MM-DD ...')
        return func.nullif(func.min(*[func.coalesce(m, never) for m in moments]), never)

    def _shift(self, moment: ColumnElement[Any], days: int) -> ColumnElement[Any]:
        """`moment` + `days` days + 1 µs, exactly (None stays None)."""
        if self.dialect == "postgresql":
            return moment + literal_column(f"INTERVAL '{int(days)} days 0.000001 seconds'")
        # SQLite keeps 'YYYY-MM-DD HH:MM:SS.ffffff': datetime() adds the days (and the second
        # a microsecond may carry into), the microseconds are added by hand.
        micro = cast(func.substr(moment, 21), Integer) + 1
        carried = micro == 1_000_000
        second = case((carried, "+1 seconds"), else_="+0 seconds")
        shifted = func.datetime(func.substr(moment, 1, 19), f"+{int(days)} days", second)
        fraction = func.printf("%06d", case((carried, 0), else_=micro))
        return shifted.op("||")(literal(".")).op("||")(fraction)


_CREATED: dict[str, TextClause] = {}  # by dialect


def _create_work(connection: Connection) -> TextClause:
    """`CREATE TEMPORARY TABLE IF NOT EXISTS score_work`, compiled once: SQLAlchemy caches no
    DDL, and compiling it took as long as a small sweep's writes."""
    name = connection.dialect.name
    found = _CREATED.get(name)
    if found is None:
        found = _CREATED.setdefault(name, text(str(_CREATE_WORK.compile(connection))))
    return found


def _reason_values(now: datetime, reason: Mapping[str, str | int | None]) -> dict[str, Any]:
    return {"at": now} | {f"reason_{n}": value for n, value in enumerate(reason.values())}


__all__ = ["SetRecompute", "supported"]
