"""Who is logged in (session cookie), and CSRF protection for every form and htmx call."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from leadstreams.api.deps import Ctx
from leadstreams.errors import PermissionDenied, Unauthenticated
from leadstreams.services import auth
from leadstreams.services.auth import Principal


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to /login."""


def log_in(request: Request, user: Principal) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["csrf"] = secrets.token_urlsafe(32)


def log_out(request: Request) -> None:
    request.session.clear()


def page_user(request: Request, ctx: Ctx) -> Principal:
    user_id = request.session.get("uid")
    if not isinstance(user_id, int):
        raise LoginRequired
    try:
        user = auth.principal(ctx, user_id=user_id)
    except Unauthenticated as error:
        request.session.clear()
        raise LoginRequired from error
    request.state.user = user
    return user


async def check_csrf(request: Request) -> None:
    """Unsafe methods carry the session's token, in the form or in the X-CSRF-Token header."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    expected = request.session.get("csrf")
    sent = request.headers.get("x-csrf-token")
    if sent is None and "form" in request.headers.get("content-type", ""):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if not expected or not sent or not hmac.compare_digest(expected, sent):
        raise PermissionDenied("the form has expired; reload the page and try again")


PageUser = Annotated[Principal, Depends(page_user)]
Csrf = Depends(check_csrf)
