"""Teams and users (admins only): plain forms, each error shown next to the field it is about."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action, Role
from leadstreams.errors import InvalidInput, LeadstreamsError, NotFound
from leadstreams.schemas.common import MAX_ID, id_from_text
from leadstreams.schemas.users import TeamCreate, TeamUpdate, UserCreate, UserUpdate
from leadstreams.services import users
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._forms import (
    FormError,
    field_errors,
    flash,
    parse,
    status_of,
    take_flash,
)
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
ROLES = [str(role) for role in Role]


def _may_manage_teams(user: PageUser) -> Principal:
    user.require(Action.MANAGE_TEAMS)
    return user


def _may_manage_users(user: PageUser) -> Principal:
    user.require(Action.MANAGE_USERS)
    return user


TeamAdmin = Annotated[Principal, Depends(_may_manage_teams)]
UserAdmin = Annotated[Principal, Depends(_may_manage_users)]
Text = Annotated[str, Form()]
Ids = Annotated[list[str], Form()]


def _known(id_: int) -> int:
    """An id the database can hold; anything larger names nothing."""
    if not 1 <= id_ <= MAX_ID:
        raise NotFound(f"no such id: {id_}")
    return id_


def _done(request: Request, message: str, to: str) -> Response:
    flash(request, message)
    return RedirectResponse(to, status_code=303)


# ---- teams ----------------------------------------------------------------------------------


def _teams_page(
    request: Request,
    ctx: Context,
    who: Principal,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    people = users.list_users(ctx)
    by_id = {person.id: person for person in people}
    teams = [
        team.model_dump() | {"members": [by_id[m] for m in team.member_ids if m in by_id]}
        for team in users.list_teams(ctx)
    ]
    sales = [p for p in people if p.role is Role.SALES and p.active]
    context: dict[str, Any] = {"teams": teams, "sales": sales, "flash": take_flash(request)}
    context |= {"errors": errors or {}, "typed": typed or {}}
    return render(request, "teams.html", context, user=who, status_code=status_code)


def _team_refused(
    request: Request,
    ctx: Context,
    who: Principal,
    error: LeadstreamsError,
    *,
    form: str,
    field: str,
    typed: dict[str, str] | None = None,
) -> Response:
    """The teams page again, the error next to the field of the form that caused it."""
    errors = field_errors(error, default=field, prefix=f"{form}.")
    values = {f"{form}.{name}": value for name, value in (typed or {}).items()}
    status = status_of(error)
    return _teams_page(request, ctx, who, errors=errors, typed=values, status_code=status)


@router.get("/teams")
def teams_page(request: Request, ctx: Ctx, who: TeamAdmin) -> Response:
    return _teams_page(request, ctx, who)


@router.post("/teams", dependencies=[Csrf])
def create_team(request: Request, ctx: Ctx, who: TeamAdmin, name: Text = "") -> Response:
    try:
        team = users.create_team(ctx, data=parse(TeamCreate, {"name": name}))
    except FormError as error:
        return _team_refused(
            request, ctx, who, error, form="new", field="name", typed={"name": name}
        )
    return _done(request, f"Team “{team.name}” created.", "/teams")


@router.post("/teams/{team_id:int}/rename", dependencies=[Csrf])
def rename_team(
    request: Request, ctx: Ctx, who: TeamAdmin, team_id: int, name: Text = ""
) -> Response:
    try:
        data = parse(TeamUpdate, {"name": name})
        team = users.update_team(ctx, team_id=_known(team_id), data=data)
    except FormError as error:
        return _team_refused(
            request, ctx, who, error, form=f"team-{team_id}", field="name", typed={"name": name}
        )
    return _done(request, f"Team renamed to “{team.name}”.", "/teams")


@router.post("/teams/{team_id:int}/members", dependencies=[Csrf])
def add_member(
    request: Request, ctx: Ctx, who: TeamAdmin, team_id: int, user_id: Text = ""
) -> Response:
    try:
        member_id = id_from_text(user_id)
        if member_id is None:
            raise InvalidInput.at("member_ids", "choose a sales user to add")
        team = users.get_team(ctx, team_id=_known(team_id))
        data = parse(TeamUpdate, {"member_ids": [*team.member_ids, member_id]})
        users.update_team(ctx, team_id=team_id, data=data)
    except FormError as error:
        form, typed = f"team-{team_id}", {"member_ids": user_id}
        return _team_refused(request, ctx, who, error, form=form, field="member_ids", typed=typed)
    return _done(request, f"Member added to “{team.name}”.", "/teams")


@router.post("/teams/{team_id:int}/members/{user_id:int}/remove", dependencies=[Csrf])
def remove_member(
    request: Request, ctx: Ctx, who: TeamAdmin, team_id: int, user_id: int
) -> Response:
    team = users.get_team(ctx, team_id=_known(team_id))
    kept = [member for member in team.member_ids if member != user_id]
    users.update_team(ctx, team_id=team_id, data=TeamUpdate(member_ids=kept))
    return _done(request, f"Member removed from “{team.name}”.", "/teams")


@router.post("/teams/{team_id:int}/delete", dependencies=[Csrf])
def delete_team(request: Request, ctx: Ctx, who: TeamAdmin, team_id: int) -> Response:
    try:
        team = users.get_team(ctx, team_id=_known(team_id))
        users.delete_team(ctx, team_id=team_id)
    except FormError as error:
        return _team_refused(request, ctx, who, error, form=f"team-{team_id}", field="delete")
    return _done(request, f"Team “{team.name}” deleted.", "/teams")


# ---- users ----------------------------------------------------------------------------------


def _users_page(
    request: Request,
    ctx: Context,
    who: Principal,
    *,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    teams = users.list_teams(ctx)
    names = {team.id: team.name for team in teams}
    people = [
        person.model_dump() | {"teams": [names[t] for t in person.team_ids if t in names]}
        for person in users.list_users(ctx)
    ]
    blank = {"email": "", "name": "", "role": Role.SALES, "team_ids": []}
    context = {"people": people, "teams": teams, "roles": ROLES, "form": form or blank}
    context |= {"errors": errors or {}, "flash": take_flash(request)}
    return render(request, "users.html", context, user=who, status_code=status_code)


def _ids(values: list[str]) -> list[int]:
    """The ticked teams as typed, to tick them again (the schema reports bad ones)."""
    return [i for i in map(id_from_text, values) if i is not None]


@router.get("/users")
def users_page(request: Request, ctx: Ctx, who: UserAdmin) -> Response:
    return _users_page(request, ctx, who)


@router.post("/users", dependencies=[Csrf])
def create_user(
    request: Request,
    ctx: Ctx,
    who: UserAdmin,
    email: Text = "",
    name: Text = "",
    role: Text = "",
    password: Text = "",
    team_ids: Ids = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    typed = {"email": email, "name": name, "role": role, "team_ids": team_ids}
    try:
        created = users.create_user(ctx, data=parse(UserCreate, typed | {"password": password}))
    except FormError as error:
        form = typed | {"team_ids": _ids(team_ids)}
        errors = field_errors(error, default="email")
        return _users_page(
            request, ctx, who, form=form, errors=errors, status_code=status_of(error)
        )
    return _done(request, f"User {created.email} created.", "/users")


def _user_page(
    request: Request,
    ctx: Context,
    who: Principal,
    user_id: int,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    person = users.get_user(ctx, user_id=_known(user_id))
    context: dict[str, Any] = {"person": person, "form": person.model_dump() | (typed or {})}
    context["errors"] = errors or {}
    context |= {"teams": users.list_teams(ctx), "roles": ROLES, "flash": take_flash(request)}
    return render(request, "users_edit.html", context, user=who, status_code=status_code)


@router.get("/users/{user_id:int}")
def user_page(request: Request, ctx: Ctx, who: UserAdmin, user_id: int) -> Response:
    return _user_page(request, ctx, who, user_id)


@router.post("/users/{user_id:int}", dependencies=[Csrf])
def update_user(
    request: Request,
    ctx: Ctx,
    who: UserAdmin,
    user_id: int,
    name: Text = "",
    role: Text = "",
    active: Text = "",
    team_ids: Ids = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    typed = {"name": name, "role": role, "active": bool(active), "team_ids": team_ids}
    try:
        data = parse(UserUpdate, typed)
        person = users.update_user(ctx, user_id=_known(user_id), data=data, by=who.id)
    except FormError as error:
        typed["team_ids"] = _ids(team_ids)
        errors, status = field_errors(error, default="name"), status_of(error)
        return _user_page(
            request, ctx, who, user_id, typed=typed, errors=errors, status_code=status
        )
    return _done(request, f"User {person.email} saved.", "/users")


@router.post("/users/{user_id:int}/password", dependencies=[Csrf])
def reset_password(
    request: Request, ctx: Ctx, who: UserAdmin, user_id: int, password: Text = ""
) -> Response:
    try:
        data = parse(UserUpdate, {"password": password})
        person = users.update_user(ctx, user_id=_known(user_id), data=data)
    except FormError as error:
        errors = field_errors(error, default="password")
        return _user_page(request, ctx, who, user_id, errors=errors, status_code=status_of(error))
    return _done(request, f"New password set for {person.email}.", f"/users/{user_id}")
