from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, Field, StringConstraints

from leadstreams.domain.roles import Role
from leadstreams.schemas.common import Id, Name, Strict
from leadstreams.schemas.contacts import Email

Password = Annotated[str, StringConstraints(min_length=8, max_length=200)]


class UserCreate(Strict):
    email: Email
    name: Name
    role: Role
    password: Password
    team_ids: list[Id] = Field(default_factory=list, max_length=100)


class UserUpdate(Strict):
    name: Name | None = None
    role: Role | None = None
    password: Password | None = None
    active: bool | None = None
    team_ids: list[Id] | None = Field(default=None, max_length=100)


class UserRead(BaseModel):
    id: int
    email: str
    name: str
    role: Role
    active: bool
    team_ids: list[int]
    created_at: datetime


class TeamCreate(Strict):
    name: Name
    member_ids: list[Id] = Field(default_factory=list, max_length=1000)


class TeamUpdate(Strict):
    name: Name | None = None
    member_ids: list[Id] | None = Field(default=None, max_length=1000)


class TeamRead(BaseModel):
    id: int
    name: str
    member_ids: list[int]


class Token(BaseModel):
    access_token: str
    token_type: str = "bearer"
