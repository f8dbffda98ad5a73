from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from leadstreams.api.deps import Ctx, LoginGuard, client_address
from leadstreams.errors import TooManyRequests, Unauthenticated
from leadstreams.web.deps import Csrf, log_in, log_out, start_anonymous_session
from leadstreams.web.render import render

router = APIRouter(include_in_schema=False)


@router.get("/login")
def login_page(request: Request, next: str = "/leads") -> Response:
    start_anonymous_session(request)
    return render(request, "login.html", {"next": _safe(next), "email": ""})


# The form carries the CSRF token of the anonymous session GET /login began: another site
# cannot log a browser in to an account of its choosing.
@router.post("/login", dependencies=[Csrf])
async def login(
    request: Request,
    ctx: Ctx,
    logins: LoginGuard,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/leads",
) -> Response:
    context: dict[str, Any] = {"next": _safe(next), "email": email}
    missing = _missing(email, password)
    if missing:  # the form again, each note next to its field (never the API's envelope)
        return render(request, "login.html", context | {"field_errors": missing}, status_code=422)
    try:
        user = await logins.authenticate(
            ctx, email=email, password=password, address=client_address(request)
        )
    except Unauthenticated:
        context["error"] = "Wrong e-mail or password."
        return render(request, "login.html", context, status_code=401)
    except TooManyRequests as refused:
        context["error"] = f"Too many wrong passwords; try again in {refused.retry_after} s."
        answer = render(request, "login.html", context, status_code=429)
        answer.headers["Retry-After"] = str(refused.retry_after)
        return answer
    log_in(request, user)
    return RedirectResponse(_safe(next), status_code=303)


@router.post("/logout", dependencies=[Csrf])
def logout(request: Request, ctx: Ctx) -> Response:
    log_out(request, ctx)
    return RedirectResponse("/login", status_code=303)


@router.get("/")
def home() -> Response:
    return RedirectResponse("/leads", status_code=303)


def _missing(email: str, password: str) -> dict[str, str]:
    found = {}
    if not email.strip():
        found["email"] = "Enter the e-mail address you log in with."
    if not password:
        found["password"] = "Enter your password."
    return found


def _safe(target: str) -> str:
    """Only paths on this site: never redirect to another host after login."""
    return target if target.startswith("/") and not target.startswith("//") else "/leads"
