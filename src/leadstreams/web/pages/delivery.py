"""A team's delivery settings (admins) and a user's own profile (e-mail opt-out)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.assignment import Policy
from leadstreams.domain.notify import NotifyMode
from leadstreams.schemas.delivery import MailPreference, TeamDeliveryRead, TeamDeliveryUpdate
from leadstreams.services import notifications, team_delivery, users
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._forms import FormError, flash, parse, status_of, take_flash
from leadstreams.web.pages.admin import TeamAdmin, _known
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
Texts = Annotated[list[str], Form()]
Text = Annotated[str, Form()]


def _page(
    request: Request,
    ctx: Context,
    who: Principal,
    team_id: int,
    *,
    settings: TeamDeliveryRead | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    team = users.get_team(ctx, team_id=team_id)
    settings = settings or team_delivery.get_delivery(ctx, team_id=team_id)
    people = {person.id: person for person in users.list_users(ctx)}
    members = {m.user_id: m for m in settings.assignment.members}
    context: dict[str, Any] = {
        "team": team, "settings": settings, "members": members,
        "people": [people[i] for i in team.member_ids if i in people],
        "policies": [p.value for p in Policy], "modes": [m.value for m in NotifyMode],
        "errors": errors or {}, "flash": take_flash(request),
    }  # fmt: skip
    return render(request, "team_delivery.html", context, user=who, status_code=status_code)


@router.get("/teams/{team_id:int}/delivery")
def delivery_page(request: Request, ctx: Ctx, who: TeamAdmin, team_id: int) -> Response:
    return _page(request, ctx, who, _known(team_id))


@router.post("/teams/{team_id:int}/delivery", dependencies=[Csrf])
def save_delivery(
    request: Request,
    ctx: Ctx,
    who: TeamAdmin,
    team_id: int,
    policy: Text = "manual",
    fallback_user_id: Text = "",
    notify_mode: Text = "off",
    digest_minutes: Text = "60",
    member_id: Texts = [],  # noqa: B006 (FastAPI copies form defaults)
    weight: Texts = [],  # noqa: B006
    monthly_capacity: Texts = [],  # noqa: B006
    in_rotation: Texts = [],  # noqa: B006
    paused: Texts = [],  # noqa: B006
) -> Response:
    """Every team member has a row (weight, capacity); the checked ones are in the rotation."""
    rows = zip(member_id, weight, monthly_capacity, strict=False)
    members = [
        {"user_id": user_id, "weight": w or "1", "monthly_capacity": cap or None,
         "paused": user_id in paused}
        for user_id, w, cap in rows
        if user_id in in_rotation
    ]  # fmt: skip
    body = {
        "assignment": {"policy": policy, "members": members,
                       "fallback_user_id": fallback_user_id or None},
        "notify": {"mode": notify_mode, "digest_minutes": digest_minutes},
    }  # fmt: skip
    try:
        data = parse(TeamDeliveryUpdate, body)
        team_delivery.put_delivery(ctx, team_id=_known(team_id), data=data)
    except FormError as error:
        listed = [user_id for user_id in member_id if user_id in in_rotation]
        errors = _errors(error.details, listed) or {"": error.message}
        return _page(request, ctx, who, team_id, errors=errors, status_code=status_of(error))
    flash(request, "Delivery settings saved.")
    return RedirectResponse(f"/teams/{team_id}/delivery", status_code=303)


def _errors(details: list[Any], member_ids: list[str]) -> dict[str, str]:
    """Errors by the form's field: `assignment.members[1].weight` -> `weight-<user id>`."""
    found: dict[str, str] = {}
    for detail in details:
        path: str = detail.path
        if path.startswith("assignment.members["):
            index = int(path.split("[")[1].split("]")[0])
            field = path.rsplit(".", 1)[-1]
            key = f"{field}-{member_ids[index]}" if index < len(member_ids) else "members"
        else:
            key = path.rsplit(".", 1)[-1]
        found.setdefault(key, detail.message)
    return found


@router.get("/profile")
def profile_page(request: Request, ctx: Ctx, user: PageUser) -> Response:
    preference = notifications.preference(ctx, user_id=user.id)
    context = {"preference": preference, "flash": take_flash(request)}
    return render(request, "profile.html", context, user=user)


@router.post("/profile", dependencies=[Csrf])
def save_profile(ctx: Ctx, user: PageUser, request: Request, email: Text = "") -> Response:
    chosen = MailPreference(email=email == "on")
    notifications.set_preference(ctx, user_id=user.id, data=chosen)
    flash(
        request, "E-mail " + ("on: you hear of your teams' new leads." if chosen.email else "off.")
    )
    return RedirectResponse("/profile", status_code=303)
