"""What the board's filters and menus list: streams, teams, the people who may work leads."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import stream_teams, streams, team_members, teams, users


@dataclass(frozen=True, slots=True)
class StreamOption:
    id: int
    name: str
    description: str
    active: bool


@dataclass(frozen=True, slots=True)
class TeamOption:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Colleague:
    id: int
    name: str
    email: str
    role: str
    active: bool


def _by_name(name: str) -> str:
    return name.lower()


def stream_options(
    connection: Connection, *, team_ids: tuple[int, ...] | None
) -> list[StreamOption]:
    """The streams (not deleted) that deliver to these teams, by name; every stream for None."""
    query = select(streams.c.id, streams.c.name, streams.c.description, streams.c.active)
    query = query.where(streams.c.deleted_at.is_(None)).order_by(streams.c.id)
    if team_ids is not None:
        delivers = select(stream_teams.c.stream_id).where(
            stream_teams.c.stream_id == streams.c.id, stream_teams.c.team_id.in_(team_ids)
        )
        query = query.where(delivers.exists())
    found = [StreamOption(*row) for row in connection.execute(query)]
    return sorted(found, key=lambda option: _by_name(option.name))


def team_options(connection: Connection, *, team_ids: tuple[int, ...] | None) -> list[TeamOption]:
    """These teams (every team for None), by id."""
    query = select(teams.c.id, teams.c.name).order_by(teams.c.id)
    if team_ids is not None:
        query = query.where(teams.c.id.in_(team_ids))
    return [TeamOption(*row) for row in connection.execute(query)]


def colleagues(connection: Connection) -> list[Colleague]:
    """Every user, active or not, by id."""
    query = select(users.c.id, users.c.name, users.c.email, users.c.role, users.c.active)
    return [Colleague(*row) for row in connection.execute(query.order_by(users.c.id))]


def colleague(connection: Connection, *, user_id: int) -> Colleague | None:
    query = select(users.c.id, users.c.name, users.c.email, users.c.role, users.c.active)
    row = connection.execute(query.where(users.c.id == user_id)).first()
    return None if row is None else Colleague(*row)


def member_ids(connection: Connection, *, team_ids: tuple[int, ...]) -> set[int]:
    query = select(team_members.c.user_id).where(team_members.c.team_id.in_(team_ids))
    return set(connection.scalars(query))


def stream_descriptions(connection: Connection, *, stream_ids: list[int]) -> dict[int, str]:
    """The descriptions of these streams that are not deleted, by stream id."""
    query = select(streams.c.id, streams.c.description).where(
        streams.c.id.in_(stream_ids), streams.c.deleted_at.is_(None)
    )
    return {stream_id: description for stream_id, description in connection.execute(query)}
