"""Mounting the web pages on the application."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.responses import Response

from leadstreams.web.deps import SESSION_SECONDS, LoginRequired
from leadstreams.web.headers import SecurityHeaders
from leadstreams.web.pages import (
    admin,
    auth,
    board,
    contacts,
    delivery,
    docs,
    keys,
    lead,
    live,
    lost_reasons,
    reports,
    scoring,
    streams,
    webhooks,
)
from leadstreams.web.render import HERE, render_error

# Swagger UI as the fastapi-offline package ships it (we use its files only).
DOCS_ASSETS = Path(str(files("fastapi_offline") / "static"))
PAGES = (
    auth, board, lead, live, delivery, admin, keys, contacts, streams, docs, scoring, webhooks,
    reports, lost_reasons,
)  # fmt: skip


def install_web(app: FastAPI, *, secret_key: str, https: bool = False) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/docs/assets", StaticFiles(directory=DOCS_ASSETS), name="docs-assets")
    for module in PAGES:
        app.include_router(module.router)
    app.add_api_route("/favicon.ico", _favicon, include_in_schema=False)
    app.add_exception_handler(LoginRequired, _to_login)
    app.state.render_error = render_error
    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key,
        session_cookie="leadstreams_session",
        same_site="lax",
        max_age=SESSION_SECONDS,
        https_only=https,
    )
    app.add_middleware(SecurityHeaders, https=https)


async def _favicon() -> Response:
    """Browsers ask for /favicon.ico before reading a page's icon link."""
    return RedirectResponse("/static/favicon.svg", status_code=301)


async def _to_login(request: Request, error: Exception) -> Response:
    if request.headers.get("hx-request"):
        return Response(status_code=204, headers={"HX-Redirect": "/login"})
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
