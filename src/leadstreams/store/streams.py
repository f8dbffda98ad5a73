"""Lead streams, their teams and their log (who changed what, when)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.streams import StreamAction
from leadstreams.store.tables import (
    matches,
    stream_history,
    stream_teams,
    streams,
    teams,
)


def get(connection: Connection, stream_id: int) -> RowMapping | None:
    query = select(streams).where(streams.c.id == stream_id, streams.c.deleted_at.is_(None))
    return connection.execute(query).mappings().first()


def get_for_update(connection: Connection, stream_id: int) -> RowMapping | None:
    query = select(streams).where(streams.c.id == stream_id, streams.c.deleted_at.is_(None))
    return connection.execute(query.with_for_update()).mappings().first()


def all_live(connection: Connection) -> list[RowMapping]:
    query = select(streams).where(streams.c.deleted_at.is_(None)).order_by(streams.c.id)
    return list(connection.execute(query).mappings())


def active(connection: Connection) -> list[RowMapping]:
    query = select(streams).where(streams.c.active.is_(True), streams.c.deleted_at.is_(None))
    return list(connection.execute(query).mappings())


def name_taken(connection: Connection, *, name: str, except_id: int | None = None) -> bool:
    query = select(streams.c.id).where(
        streams.c.name_key == name.lower(), streams.c.deleted_at.is_(None)
    )
    if except_id is not None:
        query = query.where(streams.c.id != except_id)
    return connection.scalar(query) is not None


def create(connection: Connection, *, values: dict[str, Any]) -> int:
    values = {**values, "name_key": values["name"].lower()}
    result = connection.execute(insert(streams).values(**values))
    stream_id: int = result.inserted_primary_key[0]  # type: ignore[index]
    return stream_id


def update_values(connection: Connection, *, stream_id: int, values: dict[str, Any]) -> None:
    if "name" in values:
        values = {**values, "name_key": values["name"].lower()}
    connection.execute(update(streams).where(streams.c.id == stream_id).values(**values))


def team_ids(connection: Connection, stream_id: int) -> list[int]:
    query = select(stream_teams.c.team_id).where(stream_teams.c.stream_id == stream_id)
    return sorted(connection.scalars(query))


def team_ids_by_stream(connection: Connection) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for stream_id, team_id in connection.execute(
        select(stream_teams.c.stream_id, stream_teams.c.team_id)
    ):
        out.setdefault(stream_id, []).append(team_id)
    return out


def set_teams(connection: Connection, *, stream_id: int, team_ids: list[int]) -> None:
    connection.execute(delete(stream_teams).where(stream_teams.c.stream_id == stream_id))
    connection.execute(
        insert(stream_teams), [{"stream_id": stream_id, "team_id": t} for t in team_ids]
    )


def existing_team_ids(connection: Connection, team_ids: list[int]) -> set[int]:
    return set(connection.scalars(select(teams.c.id).where(teams.c.id.in_(team_ids))))


def lead_counts(connection: Connection, stream_id: int | None = None) -> dict[int, int]:
    """Leads per stream: those with an uncleared match in it."""
    query = (
        select(matches.c.stream_id, func.count(matches.c.lead_id.distinct()))
        .where(matches.c.cleared_at.is_(None))
        .group_by(matches.c.stream_id)
    )
    if stream_id is not None:
        query = query.where(matches.c.stream_id == stream_id)
    return {stream: n for stream, n in connection.execute(query)}


def last_matched(connection: Connection, stream_id: int | None = None) -> dict[int, datetime]:
    query = select(matches.c.stream_id, func.max(matches.c.matched_at)).group_by(
        matches.c.stream_id
    )
    if stream_id is not None:
        query = query.where(matches.c.stream_id == stream_id)
    return {stream: at for stream, at in connection.execute(query)}


def append_log(
    connection: Connection,
    *,
    stream_id: int,
    user_id: int | None,
    action: StreamAction,
    changes: dict[str, Any],
    at: datetime,
) -> None:
    connection.execute(
        insert(stream_history).values(
            stream_id=stream_id, user_id=user_id, action=action.value, changes=changes, at=at
        )
    )


def read_log(connection: Connection, stream_id: int) -> list[RowMapping]:
    query = (
        select(stream_history)
        .where(stream_history.c.stream_id == stream_id)
        .order_by(stream_history.c.id)
    )
    return list(connection.execute(query).mappings())
