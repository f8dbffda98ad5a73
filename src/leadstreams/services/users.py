"""Users and sales teams (admin work)."""

from __future__ import annotations

from leadstreams.domain.roles import Role
from leadstreams.errors import Conflict, ErrorDetail, InvalidInput, NotFound
from leadstreams.schemas.users import (
    TeamCreate,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from leadstreams.services.auth import hash_password
from leadstreams.services.context import Context
from leadstreams.store import users as users_store
from leadstreams.store.uow import UnitOfWork
from leadstreams.store.users import Team, User


def _user_read(user: User) -> UserRead:
    return UserRead.model_validate(user, from_attributes=True)


def _team_read(team: Team) -> TeamRead:
    return TeamRead.model_validate(team, from_attributes=True)


def _check_team_ids(uow: UnitOfWork, team_ids: list[int], role: Role) -> None:
    if team_ids and role is not Role.SALES:
        raise InvalidInput.at("team_ids", "only sales users are members of sales teams")
    missing = [
        ErrorDetail(f"team_ids[{i}]", f"no team with id {t}")
        for i, t in enumerate(team_ids)
        if users_store.get_team(uow.connection, team_id=t) is None
    ]
    if missing:
        raise InvalidInput("unknown teams", missing)


def create_user(ctx: Context, *, data: UserCreate) -> UserRead:
    with ctx.uow() as uow:
        connection = uow.connection
        if users_store.by_email(connection, email=data.email) is not None:
            raise Conflict(f"a user with e-mail {data.email} exists already")
        _check_team_ids(uow, data.team_ids, data.role)
        password_hash = hash_password(data.password)
        user_id = users_store.create(
            connection,
            email=data.email,
            name=data.name,
            role=data.role,
            password_hash=password_hash,
            at=uow.clock.now(),
        )
        users_store.set_user_teams(connection, user_id=user_id, team_ids=data.team_ids)
        user = _get_user(uow, user_id)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
    return _user_read(user)


def _get_user(uow: UnitOfWork, user_id: int) -> User:
    user = users_store.get(uow.connection, user_id=user_id)
    if user is None:
        raise NotFound(f"no user with id {user_id}")
    return user


def get_user(ctx: Context, *, user_id: int) -> UserRead:
    with ctx.uow(read_only=True) as uow:
        return _user_read(_get_user(uow, user_id))


def list_users(ctx: Context) -> list[UserRead]:
    with ctx.uow(read_only=True) as uow:
        return [_user_read(user) for user in users_store.all_users(uow.connection)]


def _keep_yourself_in(user_id: int, data: UserUpdate, by: int | None) -> None:
    """An admin who demotes or disables their own account would lock themselves out."""
    if by != user_id:
        return
    if data.active is False:
        raise InvalidInput.at("active", "you cannot deactivate your own account")
    if data.role is not None and data.role is not Role.ADMIN:
        raise InvalidInput.at("role", "you cannot take the admin role from yourself")


def _ends_credentials(user: User, data: UserUpdate) -> bool:
    """A new password, another role or disabling ends every token and session of the user:
    whoever held them must log in again (and may no longer be able to)."""
    return (
        data.password is not None
        or (data.role is not None and data.role is not user.role)
        or data.active is False
    )


def update_user(ctx: Context, *, user_id: int, data: UserUpdate, by: int | None = None) -> UserRead:
    """`by`: the user making the change (an admin cannot lock themselves out)."""
    _keep_yourself_in(user_id, data, by)
    with ctx.uow() as uow:
        user = _get_user(uow, user_id)
        role = user.role if data.role is None else data.role
        team_ids = data.team_ids
        if team_ids is None and role is not Role.SALES:
            team_ids = []  # a user who leaves sales leaves its teams
        if team_ids is not None:
            _check_team_ids(uow, team_ids, role)
            users_store.set_user_teams(uow.connection, user_id=user_id, team_ids=team_ids)
        password_hash = hash_password(data.password) if data.password is not None else None
        users_store.update_user(
            uow.connection,
            user_id=user_id,
            at=uow.clock.now(),
            name=data.name,
            role=data.role,
            password_hash=password_hash,
            active=data.active,
            end_credentials=_ends_credentials(user, data),
        )
        user = _get_user(uow, user_id)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
    return _user_read(user)


def _check_members(uow: UnitOfWork, member_ids: list[int]) -> None:
    roles = users_store.roles_of(uow.connection, user_ids=member_ids)
    problems = []
    for i, user_id in enumerate(member_ids):
        if user_id not in roles:
            problems.append(ErrorDetail(f"member_ids[{i}]", f"no user with id {user_id}"))
        elif roles[user_id] is not Role.SALES:
            problems.append(ErrorDetail(f"member_ids[{i}]", "only sales users join sales teams"))
    if problems:
        raise InvalidInput("invalid team members", problems)


def create_team(ctx: Context, *, data: TeamCreate) -> TeamRead:
    with ctx.uow() as uow:
        connection = uow.connection
        if users_store.team_name_taken(connection, name=data.name):
            raise Conflict(f"a team named {data.name!r} exists already")
        _check_members(uow, data.member_ids)
        team_id = users_store.create_team(connection, name=data.name, at=uow.clock.now())
        users_store.set_team_members(connection, team_id=team_id, user_ids=data.member_ids)
        team = _get_team(uow, team_id)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
    return _team_read(team)


def _get_team(uow: UnitOfWork, team_id: int) -> Team:
    team = users_store.get_team(uow.connection, team_id=team_id)
    if team is None:
        raise NotFound(f"no team with id {team_id}")
    return team


def list_teams(ctx: Context) -> list[TeamRead]:
    with ctx.uow(read_only=True) as uow:
        return [_team_read(team) for team in users_store.all_teams(uow.connection)]


def get_team(ctx: Context, *, team_id: int) -> TeamRead:
    with ctx.uow(read_only=True) as uow:
        return _team_read(_get_team(uow, team_id))


def update_team(ctx: Context, *, team_id: int, data: TeamUpdate) -> TeamRead:
    with ctx.uow() as uow:
        connection = uow.connection
        _get_team(uow, team_id)
        if data.name is not None:
            if users_store.team_name_taken(connection, name=data.name, except_id=team_id):
                raise Conflict(f"a team named {data.name!r} exists already")
            users_store.rename_team(connection, team_id=team_id, name=data.name)
        if data.member_ids is not None:
            _check_members(uow, data.member_ids)
            users_store.set_team_members(connection, team_id=team_id, user_ids=data.member_ids)
        team = _get_team(uow, team_id)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
    return _team_read(team)


def delete_team(ctx: Context, *, team_id: int) -> None:
    with ctx.uow() as uow:
        connection = uow.connection
        _get_team(uow, team_id)
        if users_store.team_delivers_to_active_stream(connection, team_id=team_id):
            raise Conflict("an active stream delivers to this team; deactivate it first")
        orphaned = users_store.streams_only_delivering_to(connection, team_id=team_id)
        if orphaned:
            names = ", ".join(repr(name) for name in orphaned)
            raise Conflict(f"streams {names} deliver only to this team; give them another first")
        users_store.delete_team(connection, team_id=team_id)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
