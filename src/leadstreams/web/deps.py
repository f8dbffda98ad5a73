"""Who is logged in (session cookie), and CSRF protection for every form and htmx call."""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, Request

from leadstreams.api.deps import Ctx
from leadstreams.errors import PermissionDenied, Unauthenticated
from leadstreams.services import auth
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context


class LoginRequired(Exception):
    """A page needs a logged-in user: the handler redirects to /login."""


SESSION_SECONDS = 14 * 24 * 3600  # the cookie's life; logging out ends it on the server too


def start_anonymous_session(request: Request) -> None:
    """A session with only a CSRF token, for the login form."""
    if not request.session.get("csrf"):
        request.session["csrf"] = secrets.token_urlsafe(32)


def log_in(request: Request, user: Principal) -> None:
    request.session.clear()
    request.session["uid"] = user.id
    request.session["cv"] = user.credentials_version
    request.session["sid"] = secrets.token_hex(16)  # what logging out records as ended
    request.session["csrf"] = secrets.token_urlsafe(32)


def log_out(request: Request, ctx: Context) -> None:
    """The cookie is forgotten by this browser and refused by the server from now on (a
    copy of it, kept elsewhere, no longer logs anyone in)."""
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        expires = ctx.clock.now() + timedelta(seconds=SESSION_SECONDS)
        auth.end_credential(ctx, credential_id=session_id, expires_at=expires)
    request.session.clear()


def page_user(request: Request, ctx: Ctx) -> Principal:
    user_id, version = request.session.get("uid"), request.session.get("cv")
    session_id = request.session.get("sid")
    if type(user_id) is not int or type(version) is not int or not isinstance(session_id, str):
        raise LoginRequired
    try:
        user = auth.credentials_principal(
            ctx, user_id=user_id, credentials_version=version, credential_id=session_id
        )
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
