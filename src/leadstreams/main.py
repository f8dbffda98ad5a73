"""The application factory: `create_app(settings)` builds the API (and later the web pages)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leadstreams import __version__
from leadstreams.api import errors, openapi
from leadstreams.api.deps import storable_query
from leadstreams.api.routes import (
    api_keys,
    auth,
    contacts,
    delivery,
    events,
    fields,
    leads,
    live,
    lost_reasons,
    scoring,
    streams,
    system,
    tracking,
    users,
    webhooks,
)
from leadstreams.bootstrap import bootstrap, secret_key
from leadstreams.config import Settings
from leadstreams.services.api_keys import KeyHasher, KeyPrincipals
from leadstreams.services.auth import Principals, Tokens
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.services.logins import Logins
from leadstreams.web.setup import install_web

API = "/api/v1"


def create_app(settings: Settings | None = None, *, ctx: Context | None = None) -> FastAPI:
    settings = settings or (ctx.settings if ctx else Settings())
    ctx = ctx or bootstrap(settings)
    batcher = EventBatcher(ctx, max_items=settings.event_batch_max)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:  # what is waiting is recorded and answered first
            await run_in_threadpool(batcher.close)
            logins.close()

    app = FastAPI(
        title="Leadstreams",
        version=__version__,
        description="Turns marketing contacts into sales leads by rules, continuously.",
        lifespan=lifespan,
        dependencies=[Depends(storable_query)],
        docs_url=None,  # served by the web app from its own assets, not a CDN (web/pages/docs.py)
        redoc_url=None,
    )
    app.state.ctx = ctx
    key = secret_key(ctx)
    app.state.tokens = tokens = Tokens(key, settings.token_ttl_seconds)
    app.state.principals = Principals(ctx, tokens, seconds=settings.principal_cache_seconds)
    app.state.events = batcher
    app.state.logins = logins = Logins(
        per_account=settings.login_limit_per_account, per_address=settings.login_limit_per_address
    )
    app.state.key_hasher = hasher = KeyHasher(key)
    app.state.keys = KeyPrincipals(ctx, hasher, seconds=settings.principal_cache_seconds)
    errors.install(app)
    install_web(app, secret_key=key, https=settings.https)
    for module in (
        auth,
        users,
        api_keys,
        delivery,
        contacts,
        live,
        events,
        fields,
        streams,
        leads,
        lost_reasons,
        scoring,
        webhooks,
    ):
        app.include_router(module.router, prefix=API)
    app.include_router(system.router)
    app.include_router(tracking.router)  # the Segment tracking API, at the root path
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    openapi.install(app)
    return app


class BodyLimit:
    """413 for a body over the limit, counted as it streams in (Content-Length can lie)."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(send, self.max_bytes)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise _TooLarge(self.max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await _too_large(send, self.max_bytes)


class _TooLarge(HTTPException):
    """Raised from `receive`: FastAPI hands an HTTPException met while reading a body on to
    the error handlers (any other exception there becomes a 400 "error parsing the body")."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over the limit of {limit} bytes")


async def _too_large(send: Send, limit: int) -> None:
    body = (
        b'{"error": {"code": "too_large", "message": "the body is over the limit of '
        + str(limit).encode()
        + b' bytes", "details": []}}'
    )
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 413, "headers": headers})
    await send({"type": "http.response.body", "body": body})
