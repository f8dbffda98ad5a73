"""Lost reasons (admins): the list the board offers when a lead is moved to Lost."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx
from leadstreams.domain.roles import Action
from leadstreams.schemas.common import Id
from leadstreams.schemas.leads import LostReasonCreate
from leadstreams.services import lost_reasons
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


@router.get("/lost-reasons")
def reasons_page(request: Request, ctx: Ctx, user: PageUser) -> Response:
    user.require(Action.MANAGE_LOST_REASONS)
    return _page(request, ctx, user)


@router.get("/lost-reasons/dialog")
def reason_dialog(request: Request, ctx: Ctx, user: PageUser) -> Response:
    """The board's "Why is it lost?" dialog, with the list as it is now (fetched by lost.js
    when a card is moved to Lost)."""
    context = {"lost_reasons": lost_reasons.list_reasons(ctx, who=user)}
    return render(request, "lost_dialog.html", context, user=user)


@router.post("/lost-reasons", dependencies=[Csrf])
def add_reason(
    request: Request, ctx: Ctx, user: PageUser, label: Annotated[str, Form()] = ""
) -> Response:
    try:
        made = lost_reasons.add_reason(
            ctx, who=user, data=parse(LostReasonCreate, {"label": label})
        )
    except FormError as error:
        errors = field_errors(error, default="label")
        return _page(request, ctx, user, errors=errors, typed=label, status_code=status_of(error))
    flash(request, f"“{made.label}” is on the list.")
    return RedirectResponse("/lost-reasons", status_code=303)


@router.post("/lost-reasons/{reason_id}/remove", dependencies=[Csrf])
def remove_reason(request: Request, ctx: Ctx, user: PageUser, reason_id: Id) -> Response:
    lost_reasons.remove_reason(ctx, who=user, reason_id=reason_id)
    flash(request, "Removed from the list; leads lost for it keep their reason.")
    return RedirectResponse("/lost-reasons", status_code=303)


def _page(
    request: Request,
    ctx: Ctx,
    user: PageUser,
    *,
    errors: dict[str, str] | None = None,
    typed: str = "",
    status_code: int = 200,
) -> Response:
    context: dict[str, Any] = {
        "reasons": lost_reasons.list_reasons(ctx, who=user),
        "errors": errors or {},
        "typed": typed,
        "flash": take_flash(request),
    }
    return render(request, "lost_reasons.html", context, user=user, status_code=status_code)
