"""API keys (admins only): the list by prefix, a form to make one, a button to revoke one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx, Hasher
from leadstreams.domain.roles import Action
from leadstreams.domain.scopes import Scope
from leadstreams.errors import NotFound
from leadstreams.schemas.api_keys import ApiKeyCreate, ApiKeyCreated
from leadstreams.schemas.common import MAX_ID
from leadstreams.services import api_keys
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


def _may_manage_keys(user: PageUser) -> Principal:
    user.require(Action.MANAGE_API_KEYS)
    return user


KeyAdmin = Annotated[Principal, Depends(_may_manage_keys)]


def _page(
    request: Request,
    ctx: Context,
    who: Principal,
    *,
    made: ApiKeyCreated | None = None,
    form: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {"keys": api_keys.list_keys(ctx), "scopes": [str(s) for s in Scope]}
    context |= {"made": made, "form": form or {"name": "", "scopes": []}}
    context |= {"errors": errors or {}, "flash": take_flash(request)}
    return render(request, "api_keys.html", context, user=who, status_code=status_code)


@router.get("/api-keys")
def keys_page(request: Request, ctx: Ctx, who: KeyAdmin) -> Response:
    return _page(request, ctx, who)


@router.post("/api-keys", dependencies=[Csrf])
def create_key(
    request: Request,
    ctx: Ctx,
    who: KeyAdmin,
    hasher: Hasher,
    name: Annotated[str, Form()] = "",
    scopes: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> Response:
    """The new key is shown on this answer only (never put in the session or a redirect)."""
    typed = {"name": name, "scopes": scopes}
    try:
        made = api_keys.create_key(
            ctx, hasher=hasher, data=parse(ApiKeyCreate, typed), created_by=who.id
        )
    except FormError as error:
        errors = field_errors(error, default="name")
        return _page(request, ctx, who, form=typed, errors=errors, status_code=status_of(error))
    return _page(request, ctx, who, made=made, status_code=201)


@router.post("/api-keys/{key_id:int}/revoke", dependencies=[Csrf])
def revoke_key(request: Request, ctx: Ctx, who: KeyAdmin, key_id: int) -> Response:
    if not 1 <= key_id <= MAX_ID:
        raise NotFound(f"no API key with id {key_id}")
    revoked = api_keys.revoke_key(ctx, key_id=key_id)
    flash(request, f"API key “{revoked.name}” ({revoked.prefix}…) revoked.")
    return RedirectResponse("/api-keys", status_code=303)
