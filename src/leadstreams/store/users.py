"""Users, teams and memberships."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.store.tables import stream_teams, streams, team_members, teams, users


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str
    role: Role
    active: bool
    created_at: datetime
    team_ids: tuple[int, ...]  # ascending
    credentials_version: int = 1  # tokens and sessions of another version are ended


@dataclass(frozen=True, slots=True)
class Credentials:
    """A user with the hash their password is checked against."""

    user: User
    password_hash: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Team:
    id: int
    name: str
    member_ids: tuple[int, ...]  # ascending


_USER_COLUMNS = (users.c.id, users.c.email, users.c.name, users.c.role, users.c.active)


def _users(connection: Connection, where: ColumnElement[bool] | None = None) -> list[User]:
    query = select(*_USER_COLUMNS, users.c.created_at, users.c.credentials_version)
    query = query.order_by(users.c.id)
    if where is not None:
        query = query.where(where)
    rows = connection.execute(query).all()
    memberships = _team_ids_by_user(connection, [row.id for row in rows], every=where is None)
    return [
        User(row.id, row.email, row.name, Role(row.role), row.active, row.created_at,
             memberships.get(row.id, ()), row.credentials_version)
        for row in rows
    ]  # fmt: skip


def _team_ids_by_user(
    connection: Connection, user_ids: list[int], *, every: bool
) -> dict[int, tuple[int, ...]]:
    if not user_ids:
        return {}
    query = select(team_members.c.user_id, team_members.c.team_id)
    if not every:
        query = query.where(team_members.c.user_id.in_(user_ids))
    return _grouped(connection.execute(query).tuples())


def _grouped(pairs: Iterable[tuple[int, int]]) -> dict[int, tuple[int, ...]]:
    groups: defaultdict[int, list[int]] = defaultdict(list)
    for key, value in pairs:
        groups[key].append(value)
    return {key: tuple(sorted(values)) for key, values in groups.items()}


def get(connection: Connection, *, user_id: int) -> User | None:
    found = _users(connection, users.c.id == user_id)
    return found[0] if found else None


def by_email(connection: Connection, *, email: str) -> User | None:
    found = _users(connection, users.c.email == email)
    return found[0] if found else None


def credentials(connection: Connection, *, email: str) -> Credentials | None:
    password_hash = connection.scalar(select(users.c.password_hash).where(users.c.email == email))
    user = by_email(connection, email=email)
    if password_hash is None or user is None:
        return None
    return Credentials(user, password_hash)


def all_users(connection: Connection) -> list[User]:
    return _users(connection)


def create(
    connection: Connection, *, email: str, name: str, role: Role, password_hash: str, at: datetime
) -> int:
    values: dict[str, Any] = {"email": email, "name": name, "role": str(role)}
    values |= {"password_hash": password_hash, "active": True, "created_at": at, "updated_at": at}
    user_id: int = connection.execute(insert(users).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    return user_id


def update_user(
    connection: Connection,
    *,
    user_id: int,
    at: datetime,
    name: str | None = None,
    role: Role | None = None,
    password_hash: str | None = None,
    active: bool | None = None,
    end_credentials: bool = False,
) -> None:
    """Change what is given (not None), and when the user was last changed;
    `end_credentials`: every token and session made so far stops working."""
    given = {"name": name, "password_hash": password_hash, "active": active}
    values: dict[str, Any] = {key: value for key, value in given.items() if value is not None}
    if role is not None:
        values["role"] = str(role)
    if end_credentials:
        values["credentials_version"] = users.c.credentials_version + 1
    connection.execute(update(users).where(users.c.id == user_id).values(updated_at=at, **values))


def set_user_teams(connection: Connection, *, user_id: int, team_ids: list[int]) -> None:
    connection.execute(delete(team_members).where(team_members.c.user_id == user_id))
    if team_ids:
        rows = [{"team_id": t, "user_id": user_id} for t in team_ids]
        connection.execute(insert(team_members), rows)


def set_team_members(connection: Connection, *, team_id: int, user_ids: list[int]) -> None:
    connection.execute(delete(team_members).where(team_members.c.team_id == team_id))
    if user_ids:
        rows = [{"team_id": team_id, "user_id": u} for u in user_ids]
        connection.execute(insert(team_members), rows)


def _teams(connection: Connection, team_id: int | None = None) -> list[Team]:
    query = select(teams.c.id, teams.c.name).order_by(teams.c.id)
    members = select(team_members.c.team_id, team_members.c.user_id)
    if team_id is not None:
        query = query.where(teams.c.id == team_id)
        members = members.where(team_members.c.team_id == team_id)
    rows = connection.execute(query).all()
    if not rows:
        return []
    by_team = _grouped(connection.execute(members).tuples())
    return [Team(row.id, row.name, by_team.get(row.id, ())) for row in rows]


def get_team(connection: Connection, *, team_id: int) -> Team | None:
    found = _teams(connection, team_id)
    return found[0] if found else None


def all_teams(connection: Connection) -> list[Team]:
    return _teams(connection)


def team_name_taken(connection: Connection, *, name: str, except_id: int | None = None) -> bool:
    query = select(teams.c.id).where(teams.c.name_key == name.lower())
    if except_id is not None:
        query = query.where(teams.c.id != except_id)
    return connection.scalar(query) is not None


def create_team(connection: Connection, *, name: str, at: datetime) -> int:
    values = {"name": name, "name_key": name.lower(), "created_at": at}
    team_id: int = connection.execute(insert(teams).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    return team_id


def rename_team(connection: Connection, *, team_id: int, name: str) -> None:
    connection.execute(
        update(teams).where(teams.c.id == team_id).values(name=name, name_key=name.lower())
    )


def delete_team(connection: Connection, *, team_id: int) -> None:
    connection.execute(delete(stream_teams).where(stream_teams.c.team_id == team_id))
    connection.execute(delete(teams).where(teams.c.id == team_id))


def team_delivers_to_active_stream(connection: Connection, *, team_id: int) -> bool:
    query = (
        select(streams.c.id)
        .join(stream_teams, stream_teams.c.stream_id == streams.c.id)
        .where(stream_teams.c.team_id == team_id, streams.c.active.is_(True))
        .limit(1)
    )
    return connection.scalar(query) is not None


def streams_only_delivering_to(connection: Connection, *, team_id: int) -> list[str]:
    """Names of the streams (not deleted) that would be left with no team without this one."""
    other = stream_teams.alias("other")
    others = (
        select(other.c.team_id)
        .where(other.c.stream_id == streams.c.id, other.c.team_id != team_id)
        .exists()
    )
    query = (
        select(streams.c.name)
        .join(stream_teams, stream_teams.c.stream_id == streams.c.id)
        .where(stream_teams.c.team_id == team_id, streams.c.deleted_at.is_(None), ~others)
        .order_by(streams.c.name)
    )
    return list(connection.scalars(query))


def roles_of(connection: Connection, *, user_ids: list[int]) -> dict[int, Role]:
    """The role of each of these users that exists."""
    query = select(users.c.id, users.c.role).where(users.c.id.in_(user_ids))
    return {user_id: Role(role) for user_id, role in connection.execute(query)}
