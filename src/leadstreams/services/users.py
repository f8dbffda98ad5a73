"""Users and sales teams (admin work)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import RowMapping
from sqlalchemy.engine import Connection

from leadstreams.domain.roles import Role
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from leadstreams.schemas.users import TeamCreate, TeamUpdate, UserCreate, UserUpdate
from leadstreams.services.auth import hash_password
from leadstreams.services.context import Context
from leadstreams.store import users as users_store


def _user_read(connection: Connection, row: RowMapping) -> dict[str, Any]:
    names = ("id", "email", "name", "role", "active", "created_at")
    return {n: row[n] for n in names} | {"team_ids": users_store.team_ids_of(connection, row["id"])}


def _team_read(connection: Connection, row: RowMapping) -> dict[str, Any]:
    members = users_store.member_ids(connection, row["id"])
    return {"id": row["id"], "name": row["name"], "member_ids": members}


def _check_team_ids(connection: Connection, team_ids: list[int], role: Role) -> None:
    if team_ids and role is not Role.SALES:
        raise InvalidInput.at("team_ids", "only sales users are members of sales teams")
    missing = [
        ErrorDetail(f"team_ids[{i}]", f"no team with id {t}")
        for i, t in enumerate(team_ids)
        if users_store.get_team(connection, t) is None
    ]
    if missing:
        raise InvalidInput("unknown teams", missing)


def create_user(ctx: Context, *, data: UserCreate) -> dict[str, Any]:
    with ctx.uow() as uow:
        connection = uow.connection
        if users_store.by_email(connection, data.email) is not None:
            raise Conflict(f"a user with e-mail {data.email} exists already")
        _check_team_ids(connection, data.team_ids, data.role)
        now = uow.clock.now()
        values = {
            "email": data.email,
            "name": data.name,
            "role": str(data.role),
            "password_hash": hash_password(data.password),
            "active": True,
            "created_at": now,
            "updated_at": now,
        }
        user_id = users_store.create(connection, values=values)
        users_store.set_user_teams(connection, user_id=user_id, team_ids=data.team_ids)
        user = _user_read(connection, _get_user(connection, user_id))
        uow.commit()
    return user


def _get_user(connection: Connection, user_id: int) -> RowMapping:
    row = users_store.get(connection, user_id)
    if row is None:
        raise NotFound(f"no user with id {user_id}")
    return row


def get_user(ctx: Context, *, user_id: int) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return _user_read(uow.connection, _get_user(uow.connection, user_id))


def list_users(ctx: Context) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        return [_user_read(uow.connection, r) for r in users_store.all_users(uow.connection)]


def _keep_yourself_in(user_id: int, data: UserUpdate, by: int | None) -> None:
    """An admin who demotes or disables their own account would lock themselves out."""
    if by != user_id:
        return
    if data.active is False:
        raise InvalidInput.at("active", "you cannot deactivate your own account")
    if data.role is not None and data.role is not Role.ADMIN:
        raise InvalidInput.at("role", "you cannot take the admin role from yourself")


def update_user(
    ctx: Context, *, user_id: int, data: UserUpdate, by: int | None = None
) -> dict[str, Any]:
    """`by`: the user making the change (an admin cannot lock themselves out)."""
    _keep_yourself_in(user_id, data, by)
    with ctx.uow() as uow:
        connection = uow.connection
        row = _get_user(connection, user_id)
        given = data.model_dump(exclude_unset=True, exclude_none=True)
        role = Role(given.get("role", row["role"]))
        team_ids = given.pop("team_ids", None)
        if team_ids is None and role is not Role.SALES:
            team_ids = []  # a user who leaves sales leaves its teams
        if team_ids is not None:
            _check_team_ids(connection, team_ids, role)
            users_store.set_user_teams(connection, user_id=user_id, team_ids=team_ids)
        if "password" in given:
            given["password_hash"] = hash_password(given.pop("password"))
        if "role" in given:
            given["role"] = str(given["role"])
        users_store.update_values(
            connection, user_id=user_id, values=given | {"updated_at": uow.clock.now()}
        )
        user = _user_read(connection, _get_user(connection, user_id))
        uow.commit()
    return user


def _check_members(connection: Connection, member_ids: list[int]) -> None:
    roles = users_store.existing_user_ids(connection, member_ids)
    problems = []
    for i, user_id in enumerate(member_ids):
        if user_id not in roles:
            problems.append(ErrorDetail(f"member_ids[{i}]", f"no user with id {user_id}"))
        elif roles[user_id] != Role.SALES:
            problems.append(ErrorDetail(f"member_ids[{i}]", "only sales users join sales teams"))
    if problems:
        raise InvalidInput("invalid team members", problems)


def create_team(ctx: Context, *, data: TeamCreate) -> dict[str, Any]:
    with ctx.uow() as uow:
        connection = uow.connection
        if users_store.team_name_taken(connection, data.name):
            raise Conflict(f"a team named {data.name!r} exists already")
        _check_members(connection, data.member_ids)
        team_id = users_store.create_team(
            connection, values={"name": data.name, "created_at": uow.clock.now()}
        )
        users_store.set_team_members(connection, team_id=team_id, user_ids=data.member_ids)
        team = _team_read(connection, _get_team(connection, team_id))
        uow.commit()
    return team


def _get_team(connection: Connection, team_id: int) -> RowMapping:
    row = users_store.get_team(connection, team_id)
    if row is None:
        raise NotFound(f"no team with id {team_id}")
    return row


def list_teams(ctx: Context) -> list[dict[str, Any]]:
    with ctx.uow(read_only=True) as uow:
        return [_team_read(uow.connection, r) for r in users_store.all_teams(uow.connection)]


def get_team(ctx: Context, *, team_id: int) -> dict[str, Any]:
    with ctx.uow(read_only=True) as uow:
        return _team_read(uow.connection, _get_team(uow.connection, team_id))


def update_team(ctx: Context, *, team_id: int, data: TeamUpdate) -> dict[str, Any]:
    with ctx.uow() as uow:
        connection = uow.connection
        _get_team(connection, team_id)
        if data.name is not None:
            if users_store.team_name_taken(connection, data.name, except_id=team_id):
                raise Conflict(f"a team named {data.name!r} exists already")
            users_store.rename_team(connection, team_id=team_id, name=data.name)
        if data.member_ids is not None:
            _check_members(connection, data.member_ids)
            users_store.set_team_members(connection, team_id=team_id, user_ids=data.member_ids)
        team = _team_read(connection, _get_team(connection, team_id))
        uow.commit()
    return team


def delete_team(ctx: Context, *, team_id: int) -> None:
    with ctx.uow() as uow:
        _get_team(uow.connection, team_id)
        if users_store.team_delivers_to_active_stream(uow.connection, team_id):
            raise Conflict("an active stream delivers to this team; deactivate it first")
        orphaned = users_store.streams_only_delivering_to(uow.connection, team_id)
        if orphaned:
            names = ", ".join(repr(name) for name in orphaned)
            raise Conflict(f"streams {names} deliver only to this team; give them another first")
        users_store.delete_team(uow.connection, team_id)
        uow.commit()
