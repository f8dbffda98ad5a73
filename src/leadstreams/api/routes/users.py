from __future__ import annotations

from fastapi import APIRouter, Response

from leadstreams.api.deps import Ctx, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Id
from leadstreams.schemas.users import (
    TeamCreate,
    TeamRead,
    TeamUpdate,
    UserCreate,
    UserRead,
    UserUpdate,
)
from leadstreams.services import users

router = APIRouter(tags=["users and teams"])


@router.post("/users", status_code=201, response_model=UserRead)
def create_user(ctx: Ctx, who: Who, body: UserCreate) -> UserRead:
    who.require(Action.MANAGE_USERS)
    return users.create_user(ctx, data=body)


@router.get("/users", response_model=list[UserRead])
def list_users(ctx: Ctx, who: Who) -> list[UserRead]:
    who.require(Action.MANAGE_USERS)
    return users.list_users(ctx)


@router.get("/users/{user_id}", response_model=UserRead)
def get_user(ctx: Ctx, who: Who, user_id: Id) -> UserRead:
    if user_id != who.id:
        who.require(Action.MANAGE_USERS)
    return users.get_user(ctx, user_id=user_id)


@router.patch("/users/{user_id}", response_model=UserRead)
def update_user(ctx: Ctx, who: Who, user_id: Id, body: UserUpdate) -> UserRead:
    who.require(Action.MANAGE_USERS)
    return users.update_user(ctx, user_id=user_id, data=body, by=who.id)


@router.post("/teams", status_code=201, response_model=TeamRead)
def create_team(ctx: Ctx, who: Who, body: TeamCreate) -> TeamRead:
    who.require(Action.MANAGE_TEAMS)
    return users.create_team(ctx, data=body)


@router.get("/teams", response_model=list[TeamRead])
def list_teams(ctx: Ctx, who: Who) -> list[TeamRead]:
    who.require(Action.READ_TEAMS)
    return users.list_teams(ctx)


@router.get("/teams/{team_id}", response_model=TeamRead)
def get_team(ctx: Ctx, who: Who, team_id: Id) -> TeamRead:
    who.require(Action.READ_TEAMS)
    return users.get_team(ctx, team_id=team_id)


@router.patch("/teams/{team_id}", response_model=TeamRead)
def update_team(ctx: Ctx, who: Who, team_id: Id, body: TeamUpdate) -> TeamRead:
    who.require(Action.MANAGE_TEAMS)
    return users.update_team(ctx, team_id=team_id, data=body)


@router.delete("/teams/{team_id}", status_code=204)
def delete_team(ctx: Ctx, who: Who, team_id: Id) -> Response:
    who.require(Action.MANAGE_TEAMS)
    users.delete_team(ctx, team_id=team_id)
    return Response(status_code=204)
