"""Lead streams, their teams and their log (who changed what, when)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import RowMapping, Select, delete, func, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.streams import StreamAction
from leadstreams.rules import Rule, Vocabulary
from leadstreams.rules.compile_sql import to_sql
from leadstreams.schemas.contacts import ContactRead
from leadstreams.store import contacts as contacts_store
from leadstreams.store.rule_columns import sql_columns
from leadstreams.store.tables import (
    contacts,
    matches,
    stream_history,
    stream_teams,
    streams,
    teams,
    users,
)


@dataclass(frozen=True, slots=True)
class Stream:
    """A stream as stored (archived ones are never read): its rules as their JSON tree."""

    id: int
    name: str
    description: str
    rules: dict[str, Any]
    requalify_after_days: int | None
    active: bool
    activated_at: datetime | None
    history_fetched_at: datetime | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True, slots=True)
class LogEntry:
    """One change of a stream: who (None once the user is gone), when, what."""

    id: int
    stream_id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    action: str
    changes: dict[str, Any]


_STREAM_COLUMNS = [streams.c[f.name] for f in fields(Stream)]


def _stream(row: RowMapping | None) -> Stream | None:
    return None if row is None else Stream(**row)


def _live() -> Select[Any]:
    return select(*_STREAM_COLUMNS).where(streams.c.deleted_at.is_(None))


def get(connection: Connection, stream_id: int) -> Stream | None:
    query = _live().where(streams.c.id == stream_id)
    return _stream(connection.execute(query).mappings().first())


def get_for_update(connection: Connection, stream_id: int) -> Stream | None:
    query = _live().where(streams.c.id == stream_id).with_for_update()
    return _stream(connection.execute(query).mappings().first())


def all_live(connection: Connection) -> list[Stream]:
    query = _live().order_by(streams.c.id)
    return [Stream(**row) for row in connection.execute(query).mappings()]


def active(connection: Connection) -> list[Stream]:
    query = _live().where(streams.c.active.is_(True))
    return [Stream(**row) for row in connection.execute(query).mappings()]


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


def team_names(connection: Connection) -> dict[int, str]:
    """Every team's name by id, in the order of the ids (the teams a stream may deliver to)."""
    query = select(teams.c.id, teams.c.name).order_by(teams.c.id)
    return {team_id: name for team_id, name in connection.execute(query)}


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


def read_log(connection: Connection, stream_id: int) -> list[LogEntry]:
    """The stream's log, oldest first, with the name of each user who is still there."""
    query = (
        select(stream_history, users.c.name.label("user_name"))
        .outerjoin(users, users.c.id == stream_history.c.user_id)
        .where(stream_history.c.stream_id == stream_id)
        .order_by(stream_history.c.id)
    )
    return [LogEntry(**row) for row in connection.execute(query).mappings()]


def matching_contacts(
    connection: Connection, *, rule: Rule, vocabulary: Vocabulary, now: datetime, sample: int
) -> tuple[int, list[ContactRead]]:
    """How many contacts the rule selects now, and the first `sample` of them by id."""
    condition = to_sql(rule, sql_columns(vocabulary), now=now)
    count = connection.scalar(select(func.count()).select_from(contacts).where(condition))
    query = select(contacts).where(condition).order_by(contacts.c.id).limit(sample)
    return count or 0, [_contact(row) for row in connection.execute(query).mappings()]


def _contact(row: RowMapping) -> ContactRead:
    values = {name: row[name] for name in contacts_store.COLUMNS}
    values |= {"id": row["id"], "fields": dict(row["custom"] or {})}
    return ContactRead(**values, created_at=row["created_at"], updated_at=row["updated_at"])
