"""Users, teams and memberships."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping, delete, insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.store.tables import stream_teams, streams, team_members, teams, users


def get(connection: Connection, user_id: int) -> RowMapping | None:
    return connection.execute(select(users).where(users.c.id == user_id)).mappings().first()


def by_email(connection: Connection, email: str) -> RowMapping | None:
    return connection.execute(select(users).where(users.c.email == email)).mappings().first()


def all_users(connection: Connection) -> list[RowMapping]:
    return list(connection.execute(select(users).order_by(users.c.id)).mappings())


def create(connection: Connection, *, values: dict[str, Any]) -> int:
    user_id: int = connection.execute(insert(users).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    return user_id


def update_values(connection: Connection, *, user_id: int, values: dict[str, Any]) -> None:
    connection.execute(update(users).where(users.c.id == user_id).values(**values))


def team_ids_of(connection: Connection, user_id: int) -> list[int]:
    query = select(team_members.c.team_id).where(team_members.c.user_id == user_id)
    return sorted(connection.scalars(query))


def member_ids(connection: Connection, team_id: int) -> list[int]:
    query = select(team_members.c.user_id).where(team_members.c.team_id == team_id)
    return sorted(connection.scalars(query))


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


def get_team(connection: Connection, team_id: int) -> RowMapping | None:
    return connection.execute(select(teams).where(teams.c.id == team_id)).mappings().first()


def all_teams(connection: Connection) -> list[RowMapping]:
    return list(connection.execute(select(teams).order_by(teams.c.id)).mappings())


def team_name_taken(connection: Connection, name: str, except_id: int | None = None) -> bool:
    query = select(teams.c.id).where(teams.c.name_key == name.lower())
    if except_id is not None:
        query = query.where(teams.c.id != except_id)
    return connection.scalar(query) is not None


def create_team(connection: Connection, *, values: dict[str, Any]) -> int:
    values = {**values, "name_key": values["name"].lower()}
    team_id: int = connection.execute(insert(teams).values(**values)).inserted_primary_key[0]  # type: ignore[index]
    return team_id


def rename_team(connection: Connection, *, team_id: int, name: str) -> None:
    connection.execute(
        update(teams).where(teams.c.id == team_id).values(name=name, name_key=name.lower())
    )


def delete_team(connection: Connection, team_id: int) -> None:
    connection.execute(delete(stream_teams).where(stream_teams.c.team_id == team_id))
    connection.execute(delete(teams).where(teams.c.id == team_id))


def team_delivers_to_active_stream(connection: Connection, team_id: int) -> bool:
    query = (
        select(streams.c.id)
        .join(stream_teams, stream_teams.c.stream_id == streams.c.id)
        .where(stream_teams.c.team_id == team_id, streams.c.active.is_(True))
        .limit(1)
    )
    return connection.scalar(query) is not None


def streams_only_delivering_to(connection: Connection, team_id: int) -> list[str]:
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


def existing_user_ids(connection: Connection, user_ids: list[int]) -> dict[int, str]:
    query = select(users.c.id, users.c.role).where(users.c.id.in_(user_ids))
    return {user_id: role for user_id, role in connection.execute(query)}
