"""The Webhooks page (admins): subscriptions, the secret shown once, rotate, pause, delete,
and per subscription its delivery log with "Send again"; failing subscriptions stand out."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action
from leadstreams.domain.topics import Topic
from leadstreams.errors import NotFound
from leadstreams.schemas.common import MAX_ID
from leadstreams.schemas.webhooks import WebhookCreate, WebhookUpdate
from leadstreams.services import users, webhooks
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.web.deps import Csrf, PageUser
from leadstreams.web.pages._forms import FormError, field_errors, flash, parse, take_flash
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)
EVENTS = [topic.value for topic in Topic]


def _may_manage_webhooks(user: PageUser) -> Principal:
    user.require(Action.MANAGE_WEBHOOKS)
    return user


WebhookAdmin = Annotated[Principal, Depends(_may_manage_webhooks)]
Text = Annotated[str, Form()]
Texts = Annotated[list[str], Form()]


def _known(id_: int) -> int:
    if not 1 <= id_ <= MAX_ID:
        raise NotFound(f"no such id: {id_}")
    return id_


def _list_page(
    request: Request,
    ctx: Context,
    who: Principal,
    *,
    secret: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    found = webhooks.list_subscriptions(ctx)
    teams = {team.id: team.name for team in users.list_teams(ctx)}
    context: dict[str, Any] = {
        "hooks": sorted(found, key=lambda hook: (not hook.failing, hook.id)),  # failing first
        "teams": teams,
        "events": EVENTS,
        "secret": secret,
        "flash": take_flash(request),
        "errors": errors or {},
        "typed": typed or {"events": EVENTS},
    }
    return render(request, "webhooks.html", context, user=who, status_code=status_code)


@router.get("/webhooks")
def webhooks_page(request: Request, ctx: Ctx, who: WebhookAdmin) -> Response:
    return _list_page(request, ctx, who)


@router.post("/webhooks", dependencies=[Csrf])
def create_webhook(
    request: Request,
    ctx: Ctx,
    who: WebhookAdmin,
    url: Text = "",
    events: Texts = [],  # noqa: B006 (FastAPI copies form defaults)
    team_id: Text = "",
    secret: Text = "",
) -> Response:
    typed = {"url": url, "events": events, "team_id": team_id, "secret": ""}
    data: dict[str, Any] = {"url": url, "events": events, "team_id": team_id or None}
    if secret.strip():
        data["secret"] = secret.strip()
    try:
        created = webhooks.create_subscription(ctx, data=parse(WebhookCreate, data))
    except FormError as error:
        errors = field_errors(error, default="url")
        return _list_page(request, ctx, who, errors=errors, typed=typed, status_code=422)
    # The secret is on this answer only: not kept in the session, not shown again.
    shown = {"hook_id": created.id, "url": created.url, "value": created.secret, "new": True}
    return _list_page(request, ctx, who, secret=shown, status_code=201)


@router.post("/webhooks/{hook_id:int}/rotate", dependencies=[Csrf])
def rotate(request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int) -> Response:
    hook = webhooks.get_subscription(ctx, subscription_id=_known(hook_id))
    rotated = webhooks.rotate_secret(ctx, subscription_id=hook_id)
    shown = {
        "hook_id": hook_id,
        "url": hook.url,
        "value": rotated.secret,
        "new": False,
        "previous_until": rotated.previous_valid_until,
    }
    return _list_page(request, ctx, who, secret=shown)


@router.post("/webhooks/{hook_id:int}/pause", dependencies=[Csrf])
def pause(request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int) -> Response:
    return _set_active(request, ctx, hook_id, active=False)


@router.post("/webhooks/{hook_id:int}/resume", dependencies=[Csrf])
def resume(request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int) -> Response:
    return _set_active(request, ctx, hook_id, active=True)


def _set_active(request: Request, ctx: Context, hook_id: int, *, active: bool) -> Response:
    hook = webhooks.update_subscription(
        ctx, subscription_id=_known(hook_id), data=WebhookUpdate(active=active)
    )
    flash(request, f"{'Resumed' if active else 'Paused'}: {hook.url}")
    return RedirectResponse("/webhooks", status_code=303)


@router.post("/webhooks/{hook_id:int}/delete", dependencies=[Csrf])
def delete(request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int) -> Response:
    hook = webhooks.get_subscription(ctx, subscription_id=_known(hook_id))
    webhooks.delete_subscription(ctx, subscription_id=hook_id)
    flash(request, f"Deleted: {hook.url}")
    return RedirectResponse("/webhooks", status_code=303)


@router.get("/webhooks/{hook_id:int}")
def deliveries_page(
    request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int, cursor: str | None = None
) -> Response:
    hook = webhooks.get_subscription(ctx, subscription_id=_known(hook_id))
    page = webhooks.list_deliveries(ctx, subscription_id=hook_id, cursor=cursor)
    context = {
        "hook": hook,
        "page": page,
        "team": users.get_team(ctx, team_id=hook.team_id).name if hook.team_id else None,
        "flash": take_flash(request),
    }
    return render(request, "webhook_deliveries.html", context, user=who)


@router.post("/webhooks/{hook_id:int}/deliveries/{delivery_id:int}/retry", dependencies=[Csrf])
def send_again(
    request: Request, ctx: Ctx, who: WebhookAdmin, hook_id: int, delivery_id: int
) -> Response:
    webhooks.retry_delivery(ctx, subscription_id=_known(hook_id), delivery_id=_known(delivery_id))
    flash(request, f"Delivery {delivery_id} will be sent again, with the same webhook-id.")
    return RedirectResponse(f"/webhooks/{hook_id}", status_code=303)
