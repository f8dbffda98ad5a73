"""Lead scoring's rows: score sets and rules, adjustments, each contact's score state and
history, and the statements of the bulk recompute and the sweep."""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import (
    BigInteger,
    RowMapping,
    Select,
    Text,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.sql import ColumnElement

from leadstreams.domain.scoring import IMPORTED_SCORE, Adjustment
from leadstreams.rules import EventCondition, Rule, Vocabulary
from leadstreams.rules.compile_sql import BoundNow, event_filter, to_sql
from leadstreams.rules.timing import Timed
from leadstreams.store.rule_columns import EVENT_COLUMNS, sql_columns
from leadstreams.store.sql import Among, recordset, recordset_rows
from leadstreams.store.tables import (
    contact_scores,
    contacts,
    events,
    score_adjustments,
    score_history,
    score_rules,
    score_sets,
)
from leadstreams.store.types import AsDriverGives, UTCDateTime, aware_utc, to_utc_naive

# --- score sets and their rules ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreSet:
    id: int
    name: str
    description: str
    active: bool
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class ScoreRuleRow:
    id: int
    score_set_id: int
    position: int
    name: str
    criteria: dict[str, Any]
    points: int


_SET_COLUMNS = [score_sets.c[f.name] for f in fields(ScoreSet)]
_RULE_COLUMNS = [score_rules.c[f.name] for f in fields(ScoreRuleRow)]


def _set(row: RowMapping | None) -> ScoreSet | None:
    return None if row is None else ScoreSet(**row)


def create_set(connection: Connection, *, values: dict[str, Any]) -> int:
    inserted = connection.execute(insert(score_sets).values(**values)).inserted_primary_key
    set_id: int = inserted[0]  # type: ignore[index]
    return set_id


def update_set(connection: Connection, *, set_id: int, values: dict[str, Any]) -> None:
    connection.execute(update(score_sets).where(score_sets.c.id == set_id).values(**values))


def get_set(connection: Connection, set_id: int, *, for_update: bool = False) -> ScoreSet | None:
    query = select(*_SET_COLUMNS).where(score_sets.c.id == set_id)
    if for_update:
        query = query.with_for_update()
    return _set(connection.execute(query).mappings().first())


def list_sets(connection: Connection) -> list[ScoreSet]:
    rows = connection.execute(select(*_SET_COLUMNS).order_by(score_sets.c.id)).mappings()
    return [ScoreSet(**row) for row in rows]


def name_taken(connection: Connection, *, name_key: str, except_id: int | None = None) -> bool:
    query = select(score_sets.c.id).where(score_sets.c.name_key == name_key)
    if except_id is not None:
        query = query.where(score_sets.c.id != except_id)
    return connection.scalar(query.limit(1)) is not None


def rules_of(connection: Connection, set_ids: Collection[int]) -> dict[int, list[ScoreRuleRow]]:
    found: dict[int, list[ScoreRuleRow]] = {set_id: [] for set_id in set_ids}
    if found:
        query = select(*_RULE_COLUMNS).where(Among(score_rules.c.score_set_id, "ids"))
        rows = connection.execute(query.order_by(score_rules.c.position), {"ids": sorted(found)})
        for row in rows.mappings():
            found[row["score_set_id"]].append(ScoreRuleRow(**row))
    return found


def replace_rules(connection: Connection, *, set_id: int, rules: Sequence[dict[str, Any]]) -> None:
    """The set's rules become `rules` (name, criteria, points), in order. A rule keeps its id
    at its position, so a contact's history names the same rule before and after an edit."""
    existing = rules_of(connection, [set_id])[set_id]
    for position, rule in enumerate(rules):
        values = {"name": rule["name"], "criteria": rule["criteria"], "points": rule["points"]}
        if position < len(existing):
            connection.execute(
                update(score_rules).where(score_rules.c.id == existing[position].id).values(values)
            )
        else:
            values |= {"score_set_id": set_id, "position": position}
            connection.execute(insert(score_rules).values(values))
    surplus = [rule.id for rule in existing[len(rules) :]]
    if surplus:
        connection.execute(delete(score_rules).where(score_rules.c.id.in_(surplus)))


def any_active(connection: Connection) -> bool:
    query = select(score_sets.c.id).where(score_sets.c.active.is_(True)).limit(1)
    return connection.scalar(query) is not None


def active_rules(connection: Connection) -> list[tuple[ScoreRuleRow, str]]:
    """The rules of the active sets, each with its set's name, in a stable order."""
    query = (
        select(*_RULE_COLUMNS, score_sets.c.name.label("set_name"))
        .join(score_sets, score_sets.c.id == score_rules.c.score_set_id)
        .where(score_sets.c.active.is_(True))
        .order_by(score_rules.c.score_set_id, score_rules.c.position)
    )
    found = []
    for row in connection.execute(query).mappings():
        values = {key: row[key] for key in row if key != "set_name"}
        found.append((ScoreRuleRow(**values), row["set_name"]))
    return found


# --- adjustments ------------------------------------------------------------------------------

_ADJUSTMENT_COLUMNS = [score_adjustments.c[f.name] for f in fields(Adjustment)]


def add_adjustment(connection: Connection, *, values: dict[str, Any]) -> int:
    inserted = connection.execute(insert(score_adjustments).values(**values)).inserted_primary_key
    adjustment_id: int = inserted[0]  # type: ignore[index]
    return adjustment_id


def adjustments_of(
    connection: Connection, contact_ids: Collection[int]
) -> dict[int, list[Adjustment]]:
    """Every adjustment of these contacts (expired ones too: `Adjustment.active` decides)."""
    found: dict[int, list[Adjustment]] = {contact_id: [] for contact_id in contact_ids}
    if found:
        query = select(*_ADJUSTMENT_COLUMNS).where(Among(score_adjustments.c.contact_id, "ids"))
        for row in connection.execute(query, {"ids": sorted(found)}).mappings():
            found[row["contact_id"]].append(Adjustment(**row))
    return found


# An adjustment as a score reads it: its points, and when it expires (None: never).
AdjustmentTerm = tuple[int, datetime | None]


def adjustment_terms(
    connection: Connection, contact_ids: Collection[int]
) -> dict[int, list[AdjustmentTerm]]:
    """Every adjustment of these contacts (expired ones too) as (points, expires_at), by
    contact id: what a live recompute needs of them, read as the driver gives it (one
    `Adjustment` with two datetimes processed per row cost more than the query)."""
    found: dict[int, list[AdjustmentTerm]] = {contact_id: [] for contact_id in contact_ids}
    if found:
        rows = connection.execute(_ADJUSTMENT_TERMS, {"ids": sorted(found)})
        for contact_id, points, expires_at in rows:
            expires = None if expires_at is None else aware_utc(expires_at)
            found[contact_id].append((points, expires))
    return found


_ADJUSTMENT_TERMS = select(
    score_adjustments.c.contact_id,
    score_adjustments.c.points,
    type_coerce(score_adjustments.c.expires_at, AsDriverGives()),
).where(Among(score_adjustments.c.contact_id, "ids"))


def adjustments_between(connection: Connection, *, low: int, high: int | None) -> list[Adjustment]:
    """The adjustments of the contacts in (low, high] (every one after `low` without high)."""
    query = select(*_ADJUSTMENT_COLUMNS).where(score_adjustments.c.contact_id > low)
    if high is not None:
        query = query.where(score_adjustments.c.contact_id <= high)
    return [Adjustment(**row) for row in connection.execute(query).mappings()]


def import_scores(connection: Connection, *, now: datetime) -> int:
    """Each contact's score that its adjustments do not account for becomes an "imported
    score" adjustment (when the first set is activated, so that nothing is lost): one
    statement. How many contacts got one.

    The adjustments kept are summed once, grouped by contact, and joined: a sum per contact
    read from the table being written made PostgreSQL scan the rows this statement had
    inserted so far for every contact (the new table has no statistics to choose its index
    by), quadratic in the contacts: a quarter of an hour at 100,000."""
    a = score_adjustments.alias("kept")
    kept = (
        select(a.c.contact_id, func.sum(a.c.points).label("points"))
        .where(or_(a.c.expires_at.is_(None), a.c.expires_at > now))
        .group_by(a.c.contact_id)
        .subquery("kept")
    )
    rest = contacts.c.lead_score - func.coalesce(kept.c.points, 0)
    rows = (
        select(
            contacts.c.id,
            rest,
            literal(IMPORTED_SCORE),
            type_coerce(literal(now), UTCDateTime()),
        )
        .select_from(contacts.outerjoin(kept, kept.c.contact_id == contacts.c.id))
        .where(rest != 0)
    )
    target = ["contact_id", "points", "reason", "created_at"]
    done = connection.execute(insert(score_adjustments).from_select(target, rows))
    return done.rowcount or 0


# --- each contact's score state and history ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScoreState:
    holding: frozenset[int]
    changes_at: datetime | None


NO_STATE = ScoreState(frozenset(), None)


def states_of(connection: Connection, contact_ids: Collection[int]) -> dict[int, ScoreState]:
    """The score states of these contacts (those that have one), by contact id. Read as the
    driver gives them: for a batch of events, SQLAlchemy's processing of the JSON and the
    datetime of each row cost more than the query."""
    if not contact_ids:
        return {}
    rows = connection.execute(_STATES_OF, {"ids": sorted(contact_ids)})
    return {
        contact_id: ScoreState(
            frozenset(json.loads(holding) if isinstance(holding, str) else holding),
            None if changes_at is None else aware_utc(changes_at),
        )
        for contact_id, holding, changes_at in rows
    }


_STATES_OF = select(
    contact_scores.c.contact_id,
    type_coerce(contact_scores.c.holding, AsDriverGives()),
    type_coerce(contact_scores.c.changes_at, AsDriverGives()),
).where(Among(contact_scores.c.contact_id, "ids"))


@dataclass(frozen=True, slots=True)
class ScoreChange:
    """A contact's new score state, and its history row when the score or its rules moved."""

    contact_id: int
    value: int
    holding: frozenset[int]
    changes_at: datetime | None
    value_changed: bool  # lead_score is written
    reason: dict[str, Any] | None  # a history row is written


def write_changes(connection: Connection, changes: Sequence[ScoreChange], *, now: datetime) -> None:
    """The contacts' new scores, states and history rows: three statements for all, each
    list of rows travelling as one JSON parameter (`executemany` made one execution per row
    on PostgreSQL, and on SQLite SQLAlchemy's processing of each row's JSON and datetimes
    cost more than the statements). Several changes of one contact (a batch's events) leave
    its last state and every history row, in order."""
    last = {change.contact_id: change for change in changes}
    moved_ids = {change.contact_id for change in changes if change.value_changed}
    moved = [c for c in last.values() if c.contact_id in moved_ids]  # its last value
    states = sorted(last.values(), key=lambda c: c.contact_id)  # one lock order
    history = [c for c in changes if c.reason is not None]
    if connection.dialect.name == "postgresql":
        _write_postgres(connection, moved, states, history, now)
    else:
        _write_sqlite(connection, moved, states, history, now)


def _write_postgres(
    connection: Connection,
    moved: list[ScoreChange],
    states: list[ScoreChange],
    history: list[ScoreChange],
    now: datetime,
) -> None:
    rows: dict[str, list[dict[str, Any]]] = {
        _SCORES: [{"id": c.contact_id, "lead_score": c.value} for c in moved],
        _STATES: [
            {"contact_id": c.contact_id, "holding": sorted(c.holding), "changes_at": c.changes_at}
            for c in states
        ],
        _HISTORY: [
            {"contact_id": c.contact_id, "at": now, "value": c.value, "reason": c.reason}
            for c in history
        ],
    }
    statements = _recordset_statements()
    for statement, listed in rows.items():
        if listed:
            connection.execute(statements[statement], recordset_rows(listed))


def _write_sqlite(
    connection: Connection,
    moved: list[ScoreChange],
    states: list[ScoreChange],
    history: list[ScoreChange],
    now: datetime,
) -> None:
    """Positional rows in one JSON array. `holding` is spelled as SQLAlchemy's JSON type
    spells it (`json.dumps`: the recompute compares the text first) without a `json.dumps`
    per row; the reason travels as a JSON object, kept as `json_extract` gives it."""
    at = _sqlite_moment(now)
    rows: dict[str, list[list[Any]]] = {
        _SCORES: [[c.contact_id, c.value] for c in moved],
        _STATES: [
            [
                c.contact_id,
                "[" + ", ".join(map(str, sorted(c.holding))) + "]",
                None if c.changes_at is None else _sqlite_moment(c.changes_at),
            ]
            for c in states
        ],
        _HISTORY: [[c.contact_id, at, c.value, c.reason] for c in history],
    }
    for statement, listed in rows.items():
        if listed:
            connection.execute(_SQLITE_STATEMENTS[statement], {"rows": json.dumps(listed)})


def _sqlite_moment(value: datetime) -> str:
    """A datetime as SQLAlchemy's `DateTime` keeps it in SQLite: naive UTC text."""
    return to_utc_naive(value).isoformat(sep=" ", timespec="microseconds")


_SCORES, _STATES, _HISTORY = "scores", "states", "history"


# The states' upsert written out: SQLAlchemy caches no compiled ON CONFLICT DO UPDATE, and
# compiling it again for every batch of events cost more than running it.
_UPSERT = """ON CONFLICT (contact_id) DO UPDATE
    SET holding = excluded.holding, changes_at = excluded.changes_at"""

# Each reads the rows of one JSON array parameter `rows` (`json_each`, in the array's order;
# `WHERE true` keeps SQLite from reading the upsert's ON as a join's).
_SQLITE_STATEMENTS = {
    _SCORES: text(
        """UPDATE contacts SET lead_score = batch.score
        FROM (SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS score
              FROM json_each(:rows)) AS batch
        WHERE contacts.id = batch.id"""
    ),
    _STATES: text(
        f"""INSERT INTO contact_scores (contact_id, holding, changes_at)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
               json_extract(value, '$[2]')
        FROM json_each(:rows) WHERE true ORDER BY key {_UPSERT}"""  # noqa: S608 (a constant)
    ),
    _HISTORY: text(
        """INSERT INTO score_history (contact_id, at, value, reason)
        SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'),
               json_extract(value, '$[2]'), json_extract(value, '$[3]')
        FROM json_each(:rows) ORDER BY key"""
    ),
}


@cache
def _recordset_statements() -> dict[str, Any]:
    scores = recordset(contacts, ["id", "lead_score"])
    score = (
        update(contacts).where(contacts.c.id == scores.c.id).values(lead_score=scores.c.lead_score)
    )
    state = text(
        f"""INSERT INTO contact_scores (contact_id, holding, changes_at)
        SELECT contact_id, holding, changes_at FROM jsonb_to_recordset(CAST(:rows AS JSONB))
        AS batch(contact_id BIGINT, holding JSONB, changes_at TIMESTAMP WITHOUT TIME ZONE)
        {_UPSERT}"""  # noqa: S608 (a constant)
    ).bindparams(bindparam("rows", type_=Text()))
    names = ["contact_id", "at", "value", "reason"]
    history = insert(score_history).from_select(names, select(*recordset(score_history, names).c))
    return {_SCORES: score, _STATES: state, _HISTORY: history}


def due(connection: Connection, *, now: datetime, limit: int) -> list[int]:
    """Contacts whose score can change by now by time alone, earliest first: an index range
    on `changes_at`, whatever the number of contacts."""
    query = (
        select(contact_scores.c.contact_id)
        .where(contact_scores.c.changes_at <= now)
        .order_by(contact_scores.c.changes_at)
        .limit(limit)
    )
    return list(connection.scalars(query))


@dataclass(frozen=True, slots=True)
class HistoryRow:
    at: datetime
    value: int
    reason: dict[str, Any]


def history_of(connection: Connection, *, contact_id: int, limit: int = 500) -> list[HistoryRow]:
    """The contact's score changes, oldest first (the last `limit`)."""
    query = (
        select(score_history.c.at, score_history.c.value, score_history.c.reason)
        .where(score_history.c.contact_id == contact_id)
        .order_by(score_history.c.id.desc())
        .limit(limit)
    )
    rows = connection.execute(query).all()
    return [HistoryRow(row.at, row.value, row.reason) for row in reversed(rows)]


def contacts_per_rule(
    connection: Connection, rules: Sequence[Rule], vocabulary: Vocabulary, *, now: datetime
) -> list[int]:
    """For a preview: how many contacts each rule holds for now, in one pass."""
    if not rules:
        return []
    columns = sql_columns(vocabulary)
    counts = [
        func.coalesce(func.sum(case((to_sql(rule, columns, now=now), 1), else_=0)), 0)
        for rule in rules
    ]
    return [int(value) for value in connection.execute(select(*counts).select_from(contacts)).one()]


def distribution(
    connection: Connection,
    rules: Sequence[tuple[Rule, int]],
    vocabulary: Vocabulary,
    *,
    now: datetime,
) -> dict[int, int]:
    """How many contacts the rules' points (without adjustments) would give each total."""
    columns = sql_columns(vocabulary)
    total: ColumnElement[Any] = literal(0)
    for rule, points in rules:
        total = total + case((to_sql(rule, columns, now=now), points), else_=0)
    scores = select(total.label("score")).select_from(contacts).subquery()
    query = select(scores.c.score, func.count()).group_by(scores.c.score)
    return {int(score): int(count) for score, count in connection.execute(query)}


# --- the bulk recompute -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecomputeRow:
    """One contact of a chunk, as the SQL recompute read it."""

    contact_id: int
    lead_score: int
    state: ScoreState | None
    holding: frozenset[int]
    earliest: tuple[datetime | None, ...]  # the oldest event each window counts (in order)
    dated: dict[str, datetime | None]  # the dated fields' values
    adjusted: int  # the active adjustments' points
    next_expiry: datetime | None  # the earliest of their expiries


class Recompute:
    """Every score rule evaluated in SQL over a chunk of contact ids: a flag per rule (a CASE
    WHEN of the compiled rule), the oldest event each windowed condition counts (when time
    alone changes the score next), the dated fields' values, and the active adjustments'
    sum and next expiry. Built once per rule set: "now" is a set of named parameters
    (`BoundNow`), given at each execution by `values(now)`."""

    def __init__(
        self, rules: Sequence[tuple[int, Rule]], timing: Timed, vocabulary: Vocabulary
    ) -> None:
        columns = sql_columns(vocabulary)
        self.now = BoundNow()
        self.windows = list(timing.windows)
        self.fields = sorted({c.field for c in timing.dated})
        # A rule that is one windowed event condition counting one event holds exactly when
        # its window's oldest counted event (read below anyway) exists: no test of its own.
        self.by_window = {
            rule_id: self.windows.index(rule) for rule_id, rule in rules
            if isinstance(rule, EventCondition) and rule.min_count <= 1 and rule in self.windows
        }  # fmt: skip
        tested = [(rule_id, rule) for rule_id, rule in rules if rule_id not in self.by_window]
        self.rule_ids = [rule_id for rule_id, _ in tested]
        self.flags = [case((to_sql(rule, columns, now=self.now), 1), else_=0) for _, rule in tested]
        # Per window, the oldest event it counts: an index seek per contact (on contact_id,
        # type and occurred_at), however many events the contact has.
        self.oldest: list[ColumnElement[Any]] = []
        for condition in self.windows:
            found = select(func.min(events.c.occurred_at)).where(
                events.c.contact_id == contacts.c.id,
                *event_filter(condition, EVENT_COLUMNS),
                events.c.occurred_at >= self.cutoff(condition),
            )
            self.oldest.append(type_coerce(found.scalar_subquery(), UTCDateTime()))
        dated = [columns.fields[name] for name in self.fields]
        a = score_adjustments.alias("active_adjustment")
        active = [a.c.contact_id == contacts.c.id, self.adjustment_counts(a)]
        adjusted = select(func.coalesce(func.sum(a.c.points), 0)).where(*active).scalar_subquery()
        expiry = select(func.min(a.c.expires_at)).where(*active).scalar_subquery()
        self.statement: Select[Any] = (
            select(
                contacts.c.id,
                contacts.c.lead_score,
                contact_scores.c.contact_id,
                contact_scores.c.holding,
                contact_scores.c.changes_at,
                adjusted,
                type_coerce(expiry, UTCDateTime()),
                *self.flags,
                *self.oldest,
                *dated,
            )
            .select_from(contacts.outerjoin(contact_scores))
            .where(contacts.c.id > bindparam("low", type_=BigInteger()))
            .order_by(contacts.c.id)
        )
        self.bounded = self.statement.where(contacts.c.id <= bindparam("high", type_=BigInteger()))

    def cutoff(self, condition: EventCondition) -> ColumnElement[Any]:
        """The oldest moment a windowed condition counts, as a named parameter."""
        assert condition.within_days is not None
        return self.now.days_ago(condition.within_days, events.c.occurred_at)

    def adjustment_counts(self, a: Any) -> ColumnElement[bool]:
        """Whether an adjustment (of table or alias `a`) counts now: not expired."""
        return or_(a.c.expires_at.is_(None), a.c.expires_at > self.now.days_ago(0, a.c.expires_at))

    def values(self, now: datetime) -> dict[str, Any]:
        return self.now.values(now)

    def rows(
        self, connection: Connection, *, low: int, high: int | None, now: datetime
    ) -> list[RecomputeRow]:
        """The contacts in (low, high] (every one after `low` when `high` is None)."""
        statement = self.statement if high is None else self.bounded
        values = self.values(now) | ({"low": low} if high is None else {"low": low, "high": high})
        rules, windows = len(self.rule_ids), len(self.windows)
        found = []
        for row in connection.execute(statement, values).all():
            contact_id, lead_score, has_state, holding, changes_at, adjusted, expiry = row[:7]
            flags = row[7 : 7 + rules]
            oldest = row[7 + rules : 7 + rules + windows]
            dated = row[7 + rules + windows :]
            state = None if has_state is None else ScoreState(frozenset(holding or ()), changes_at)
            earliest = tuple(oldest)
            held = [r for r, flag in zip(self.rule_ids, flags, strict=True) if flag]
            held += [r for r, position in self.by_window.items() if oldest[position] is not None]
            found.append(
                RecomputeRow(
                    contact_id,
                    lead_score,
                    state,
                    frozenset(held),
                    earliest,
                    dict(zip(self.fields, dated, strict=True)),
                    int(adjusted),
                    expiry,
                )
            )
        return found
