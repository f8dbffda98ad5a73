"""Stream and team performance, one grouped query per chart.

A stream's leads are the leads it matched; a team's, the leads of its streams (a lead shared by
two streams counts once for each, and once for a team that both feed). A lead arrives in a
group when the group first matched it, and counts for a period when it arrived in it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Float, Integer, case, func, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql import FromClause
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal

from leadstreams.domain.stages import Stage
from leadstreams.store.tables import (
    lead_stage_changes,
    leads,
    lost_reasons,
    matches,
    stream_teams,
    streams,
    teams,
)

GroupBy = Literal["stream", "team"]
_WEEK = 7 * 86400
_MONDAY_SHIFT = 3 * 86400  # 1970-01-01 was a Thursday: weeks counted from a Monday
_FIRST_MONDAY = datetime(1969, 12, 29, tzinfo=UTC)


class _EpochSeconds(ColumnElement[float]):
    """Seconds since 1970 of a stored (naive UTC) datetime, alike on both databases."""

    inherit_cache = True
    type = Float()
    _traverse_internals = [("at", InternalTraversal.dp_clauseelement)]

    def __init__(self, at: ColumnElement[Any]) -> None:
        self.at = at


@compiles(_EpochSeconds, "postgresql")
def _epoch_pg(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.at, **kw)})"


@compiles(_EpochSeconds)
def _epoch_sqlite(element: _EpochSeconds, compiler: SQLCompiler, **kw: Any) -> str:
    return f"((julianday({compiler.process(element.at, **kw)}) - 2440587.5) * 86400.0)"


def _week(at: ColumnElement[Any]) -> ColumnElement[int]:
    """The number of the week (Monday to Sunday, UTC) an instant falls in."""
    return _Floor((_EpochSeconds(at) + _MONDAY_SHIFT) / _WEEK)


class _Floor(ColumnElement[int]):
    """floor() of a positive number: SQLite has no floor() without its math functions."""

    inherit_cache = True
    type = Integer()
    _traverse_internals = [("value", InternalTraversal.dp_clauseelement)]

    def __init__(self, value: ColumnElement[Any]) -> None:
        self.value = value


@compiles(_Floor, "postgresql")
def _floor_pg(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.value, **kw)}) AS INTEGER)"


@compiles(_Floor)
def _floor_sqlite(element: _Floor, compiler: SQLCompiler, **kw: Any) -> str:
    return f"CAST({compiler.process(element.value, **kw)} AS INTEGER)"


def week_start(week: int) -> datetime:
    return _FIRST_MONDAY + timedelta(days=7 * week)


def week_of(at: datetime) -> int:
    """The week number `_week` gives in SQL, in Python."""
    return (at - _FIRST_MONDAY) // timedelta(days=7)


def _arrivals(by: GroupBy, since: datetime) -> FromClause:
    """(group_id, lead_id, arrived_at) for each lead a group got since `since`."""
    source: FromClause = matches
    key = matches.c.stream_id
    if by == "team":
        key = stream_teams.c.team_id
        source = matches.join(stream_teams, stream_teams.c.stream_id == matches.c.stream_id)
    arrived = func.min(matches.c.matched_at)
    return (
        select(key.label("group_id"), matches.c.lead_id, arrived.label("arrived_at"))
        .select_from(source)
        .group_by(key, matches.c.lead_id)
        .having(arrived >= since)
        .subquery("arrivals")
    )


@dataclass(frozen=True, slots=True)
class WeekCount:
    group_id: int
    week: int
    leads: int


def leads_per_week(connection: Connection, by: GroupBy, since: datetime) -> list[WeekCount]:
    arrivals = _arrivals(by, since)
    week = _week(arrivals.c.arrived_at).label("week")
    query = (
        select(arrivals.c.group_id, week, func.count())
        .group_by(arrivals.c.group_id, week)
        .order_by(arrivals.c.group_id, week)
    )
    return [WeekCount(*row) for row in connection.execute(query)]


@dataclass(frozen=True, slots=True)
class Funnel:
    """Of the leads a group got: how many ever reached each stage (or a later one), and how
    many are won or lost now."""

    group_id: int
    leads: int
    sql: int
    opportunity: int
    won: int
    lost: int


_LATER = {
    Stage.SQL: (Stage.SQL, Stage.OPPORTUNITY, Stage.WON),
    Stage.OPPORTUNITY: (Stage.OPPORTUNITY, Stage.WON),
}


def funnels(connection: Connection, by: GroupBy, since: datetime) -> list[Funnel]:
    arrivals = _arrivals(by, since)
    to_stage = lead_stage_changes.c.to_stage

    def ever(stage: Stage) -> Any:
        return func.max(case((to_stage.in_([s.value for s in _LATER[stage]]), 1), else_=0))

    # Per lead first (one row each), so that the counts below need no DISTINCT.
    reached = (
        select(
            lead_stage_changes.c.lead_id,
            ever(Stage.SQL).label("sql"),
            ever(Stage.OPPORTUNITY).label("opportunity"),
        )
        .group_by(lead_stage_changes.c.lead_id)
        .subquery("reached")
    )

    def now_in(stage: Stage) -> Any:
        return func.sum(case((leads.c.stage == stage.value, 1), else_=0))

    query = (
        select(
            arrivals.c.group_id,
            func.count(),
            func.coalesce(func.sum(reached.c.sql), 0),
            func.coalesce(func.sum(reached.c.opportunity), 0),
            now_in(Stage.WON),
            now_in(Stage.LOST),
        )
        .select_from(
            arrivals.join(leads, leads.c.id == arrivals.c.lead_id).outerjoin(
                reached, reached.c.lead_id == arrivals.c.lead_id
            )
        )
        .group_by(arrivals.c.group_id)
    )
    return [Funnel(*row) for row in connection.execute(query)]


def median_seconds_to_first_move(
    connection: Connection, by: GroupBy, since: datetime
) -> dict[int, float]:
    """Per group, the median time from a lead's creation to its first move by a person (the
    first stage change that has a stage to come from), over the leads moved at all."""
    arrivals = _arrivals(by, since)
    firsts = (
        select(lead_stage_changes.c.lead_id, func.min(lead_stage_changes.c.at).label("at"))
        .where(lead_stage_changes.c.from_stage.is_not(None))
        .group_by(lead_stage_changes.c.lead_id)
        .subquery("firsts")
    )
    waits = (
        select(
            arrivals.c.group_id,
            (_EpochSeconds(firsts.c.at) - _EpochSeconds(leads.c.created_at)).label("seconds"),
        )
        .select_from(
            arrivals.join(leads, leads.c.id == arrivals.c.lead_id).join(
                firsts, firsts.c.lead_id == arrivals.c.lead_id
            )
        )
        .subquery("waits")
    )
    group = waits.c.group_id
    ranked = select(
        group,
        waits.c.seconds,
        func.row_number().over(partition_by=group, order_by=waits.c.seconds).label("n"),
        func.count().over(partition_by=group).label("size"),
    ).subquery("ranked")
    # The middle row, or the two middle rows of an even count (integer halves on both).
    middle = or_(ranked.c.n == (ranked.c.size + 1) // 2, ranked.c.n == (ranked.c.size + 2) // 2)
    query = (
        select(ranked.c.group_id, func.avg(ranked.c.seconds))
        .where(middle)
        .group_by(ranked.c.group_id)
    )
    return {group_id: float(seconds) for group_id, seconds in connection.execute(query)}


def lost_reason_counts(
    connection: Connection, by: GroupBy, since: datetime
) -> list[tuple[int, str | None, int]]:
    """Per group, each lost reason text of its lost leads and how many have it."""
    arrivals = _arrivals(by, since)
    query = (
        select(arrivals.c.group_id, leads.c.lost_reason, func.count())
        .select_from(arrivals.join(leads, leads.c.id == arrivals.c.lead_id))
        .where(leads.c.stage == Stage.LOST.value)
        .group_by(arrivals.c.group_id, leads.c.lost_reason)
    )
    return [(group_id, reason, count) for group_id, reason, count in connection.execute(query)]


def lost_reason_labels(connection: Connection) -> list[str]:
    return list(connection.scalars(select(lost_reasons.c.label)))


def group_names(connection: Connection, by: GroupBy) -> dict[int, str]:
    if by == "stream":
        query = select(streams.c.id, streams.c.name).where(streams.c.deleted_at.is_(None))
    else:
        query = select(teams.c.id, teams.c.name)
    query = query.order_by(query.selected_columns.name, query.selected_columns.id)
    return {group_id: name for group_id, name in connection.execute(query)}
