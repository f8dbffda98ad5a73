"""The bulk recompute and the sweep written in SQL: no contact comes to Python.

`store.scores.Recompute` reads, per contact, a flag per score rule, the oldest event each
windowed condition counts, the active adjustments' sum and next expiry, and the contact's
score state. One `INSERT ... SELECT` adds the points, spells the rules giving points as the
JSON list the state keeps, takes the next change by time alone, and keeps in a temporary
table only the contacts whose score, rules or next change moved; three statements then
write, from that table, `lead_score`, the history rows (with the rules that started and
stopped giving points, as `domain.scoring.change_reason` says them) and the states. What
Python gets back is the ids of the contacts whose score moved, for the streams on
`lead_score`.

The next change is computed as `rules.timing.Timed.next_change` computes it: each window's
oldest counted event plus the window and one microsecond (always after now, since the event
is in the window), and the adjustments' next expiry (after now, since only those count),
the earliest of them. A rule set with dated fields (`within_last_days`, `more_than_days_ago`
on a datetime field) is left to the Python path (`services.score_jobs`): its moments depend
on how each field is kept, and such sets are rare.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    MetaData,
    Table,
    Text,
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
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql import ColumnElement

from leadstreams.store.scores import Recompute
from leadstreams.store.sql import Among
from leadstreams.store.tables import Id, contact_scores, contacts
from leadstreams.store.types import Json, UTCDateTime

WORK = "score_work"  # the temporary tables' names, one per connection and shape

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


def supported(plan: Recompute) -> bool:
    """Whether the plan's next change can be computed in SQL (no dated fields)."""
    return not plan.fields


class SetRecompute:
    """One recompute of some contacts (a range of ids, or a list) with one plan, in SQL."""

    def __init__(
        self,
        plan: Recompute,
        points: Mapping[int, int],
        *,
        dialect: str,
        now: datetime,
        reason: Mapping[str, str | int | None],
    ) -> None:
        assert supported(plan), "dated fields are computed in Python"
        self.plan, self.points, self.dialect, self.now = plan, points, dialect, now
        self.reason = dict(reason)
        self.work = _work_table(plan)

    def range(self, connection: Connection, *, low: int, high: int | None) -> tuple[int, list[int]]:
        """The contacts in (low, high] (every one after `low` without `high`): (how many were
        read, the ids whose score moved)."""
        where = [contacts.c.id > low] + ([contacts.c.id <= high] if high is not None else [])
        read = connection.scalar(select(func.count()).select_from(contacts).where(*where))
        return read or 0, self._run(connection, where, {})

    def ids(self, connection: Connection, contact_ids: list[int]) -> list[int]:
        """These contacts: the ids whose score moved."""
        return self._run(connection, [Among(contacts.c.id, "ids")], {"ids": sorted(contact_ids)})

    def _run(
        self, connection: Connection, where: list[ColumnElement[bool]], values: dict[str, Any]
    ) -> list[int]:
        work = self.work
        connection.execute(CreateTable(work, if_not_exists=True))
        connection.execute(self._fill(where), values)
        moved = list(
            connection.scalars(
                select(work.c.contact_id)
                .where(work.c.value != work.c.old_score)
                .order_by(work.c.contact_id)
            )
        )
        if moved:
            score = select(work.c.value).where(work.c.contact_id == contacts.c.id)
            changed = select(work.c.contact_id).where(work.c.value != work.c.old_score)
            connection.execute(
                update(contacts)
                .where(contacts.c.id.in_(changed))
                .values(lead_score=score.scalar_subquery())
            )
        connection.execute(self._history(), self._reason_values())
        connection.execute(self._states())
        # Kept for the connection's next recompute, empty: creating and dropping it would
        # make SQLite prepare the connection's statements again. (A failure rolls back the
        # rows with the transaction: no cleanup that could hide the error.)
        connection.execute(delete(work))
        return moved

    def _fill(self, where: list[ColumnElement[bool]]) -> Any:
        """The contacts whose score, rules or next change moved into the work table: the
        plan's columns (the state's rules defaulting to an empty list), then the score, the
        rules giving points (a sorted JSON list), the next change, and whether the score or
        its rules moved (`moved`)."""
        columns = list(self.plan.columns)
        empty = "'[]'::jsonb" if self.dialect == "postgresql" else "'[]'"
        columns[3] = func.coalesce(contact_scores.c.holding, literal_column(empty))
        names = [c.name for c in self.work.c]
        read = (
            select(*[c.label(name) for c, name in zip(columns, names, strict=False)])
            .select_from(contacts.outerjoin(contact_scores))
            .where(*where)
            .offset(0)  # read once: not merged into the statement below
            .subquery("read")
        )
        r = read.c
        held: list[tuple[int, ColumnElement[bool]]] = [
            (rule_id, r[f"f{k}"] == 1) for k, rule_id in enumerate(self.plan.rule_ids)
        ]
        held += [(rule_id, r[f"o{at}"].is_not(None)) for rule_id, at in self.plan.by_window.items()]
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
        # Each step is computed once per contact: OFFSET 0 keeps the databases from merging
        # a step into the next, which would repeat its expressions.
        summed = (
            select(
                *[r[name] for name in names[: len(columns)]],
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
                *[s[name] for name in names[: len(columns) + 2]],
                self._earliest([*moments, s.expiry]).label("changes_at"),
                self._moved(s).label("moved"),
            )
            .offset(0)
            .subquery("computed")
        )
        c = computed.c
        rows = select(*[c[name] for name in names]).where(
            (c.moved == 1) | c.changes_at.is_distinct_from(c.old_changes_at)
        )
        return insert(self.work).from_select(names, rows)

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

    def _history(self) -> Any:
        """A history row for each contact whose score or rules moved: the reason's `started`
        and `stopped` are the sorted rule ids that entered and left its list."""
        keys = ", ".join(
            f"'{key}', CAST(:reason_{n} AS {'TEXT' if isinstance(value, str) else 'BIGINT'})"
            for n, (key, value) in enumerate(self.reason.items())
        )
        left, entered = _LEFT_AND_ENTERED[self.dialect == "postgresql"]
        if self.dialect == "postgresql":
            reason = f"jsonb_build_object({keys}, 'started', {entered}, 'stopped', {left})"
        else:
            reason = f"json_object({keys}, 'started', {entered}, 'stopped', {left})"
        statement = text(
            f"""INSERT INTO score_history (contact_id, at, value, reason)
            SELECT w.contact_id, :at, w.value, {reason} FROM {self.work.name} AS w
            WHERE w.moved = 1 ORDER BY w.contact_id"""  # noqa: S608 (constant keys, bound values)
        )
        return statement.bindparams(bindparam("at", type_=UTCDateTime()))

    def _reason_values(self) -> dict[str, Any]:
        return {"at": self.now} | {f"reason_{n}": v for n, v in enumerate(self.reason.values())}

    def _states(self) -> Any:
        """The new states of the contacts whose score, rules or next change moved, in one
        lock order; INSERT ... ON CONFLICT (contact_id) DO UPDATE as each database spells it."""
        w = self.work.c
        rows = select(w.contact_id, w.holding, w.changes_at).order_by(w.contact_id)
        build = postgresql_insert if self.dialect == "postgresql" else sqlite_insert
        statement = build(contact_scores).from_select(["contact_id", "holding", "changes_at"], rows)
        return statement.on_conflict_do_update(
            index_elements=[contact_scores.c.contact_id],
            set_={
                "holding": statement.excluded.holding,
                "changes_at": statement.excluded.changes_at,
            },
        )

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


_SHAPES = MetaData()  # one work table per number of flags and windows: statements built
_WORK_TABLES: dict[tuple[int, int], Table] = {}  # on it again compile from SQLAlchemy's cache


def _work_table(plan: Recompute) -> Table:
    shape = (len(plan.rule_ids), len(plan.windows))
    found = _WORK_TABLES.get(shape)
    if found is None:
        found = _WORK_TABLES.setdefault(shape, _new_work_table(*shape))
    return found


def _new_work_table(flags: int, windows: int) -> Table:
    columns = [
        Column("contact_id", Id, primary_key=True),  # SQLite's rowid: looked up by it
        Column("old_score", Integer),
        Column("had_state", BigInteger),
        Column("old_holding", Json),
        Column("old_changes_at", UTCDateTime),
        Column("adjusted", Integer),
        Column("expiry", UTCDateTime),
        *[Column(f"f{k}", Integer) for k in range(flags)],
        *[Column(f"o{k}", UTCDateTime) for k in range(windows)],
        Column("value", Integer),
        Column("holding", Json),
        Column("changes_at", UTCDateTime),
        Column("moved", Integer),
    ]
    name = f"{WORK}_{flags}_{windows}"  # a MetaData holds one table of a name
    return Table(name, _SHAPES, *columns, prefixes=["TEMPORARY"])
