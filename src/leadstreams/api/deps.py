"""Dependencies of the routes: the services' context and who is asking.

They are `async def` where they do no blocking work: FastAPI runs a plain `def` dependency in
the thread pool, a hop that costs more than what these do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from leadstreams.domain.scopes import API, allows, is_key
from leadstreams.errors import InvalidInput, PermissionDenied, Unauthenticated, printable
from leadstreams.schemas.common import text_problem
from leadstreams.services.api_keys import KeyHasher, KeyPrincipals
from leadstreams.services.auth import Principal, Principals, Tokens
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context
from leadstreams.services.logins import Logins

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_context(request: Request) -> Context:
    context: Context = request.app.state.ctx
    return context


async def get_tokens(request: Request) -> Tokens:
    tokens: Tokens = request.app.state.tokens
    return tokens


async def get_batcher(request: Request) -> EventBatcher:
    batcher: EventBatcher = request.app.state.events
    return batcher


async def get_hasher(request: Request) -> KeyHasher:
    hasher: KeyHasher = request.app.state.key_hasher
    return hasher


async def get_logins(request: Request) -> Logins:
    logins: Logins = request.app.state.logins
    return logins


def client_address(request: Request) -> str:
    """Who is calling, as the server saw it (behind a proxy: as uvicorn's --proxy-headers
    reads X-Forwarded-For from the proxies it trusts)."""
    return request.client.host if request.client else "unknown"


Ctx = Annotated[Context, Depends(get_context)]
LoginGuard = Annotated[Logins, Depends(get_logins)]
Batcher = Annotated[EventBatcher, Depends(get_batcher)]
Hasher = Annotated[KeyHasher, Depends(get_hasher)]


async def current_user(
    request: Request, token: Annotated[str | None, Depends(bearer)]
) -> Principal:
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
    if is_key(token):
        return await key_user(request, token)
    principals: Principals = request.app.state.principals
    found = principals.cached(token)
    if found is None:  # the token is checked and the user read (from the database)
        found = await run_in_threadpool(principals.lookup, token)
    return found


Who = Annotated[Principal, Depends(current_user)]


async def storable_query(request: Request) -> None:
    """Every route's query: a text the databases cannot take (NUL, a lone surrogate) is a 422
    naming its parameter, before any route compares it with stored text."""
    for name, value in request.query_params.multi_items():
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            raise InvalidInput.at(printable(name), problem)


async def key_user(request: Request, key: str) -> Principal:
    """The API key's principal, if its scopes allow this route (403 otherwise); its use is
    recorded at most once a minute."""
    keys: KeyPrincipals = request.app.state.keys
    found = keys.cached(key)
    if found is None:  # the key is looked up by its hash (in the database)
        found = await run_in_threadpool(keys.lookup, key)
    route = _route(request)
    assert found.scopes is not None
    if not allows(found.scopes, method=request.method, route=route):
        named = ", ".join(sorted(found.scopes))
        raise PermissionDenied(f"this API key's scopes ({named}) do not allow this call")
    if keys.use_is_due(found):
        await run_in_threadpool(keys.record_use, found)
    return found


def _route(request: Request) -> str:
    """The route's path as declared (`/api/v1/leads/{lead_id}`). The routers are included
    under `/api/v1`, and the route in the request's scope knows its path without it."""
    declared = getattr(request.scope.get("route"), "path", None)
    if declared is None:
        return request.url.path
    if declared.startswith(API + "/") or not request.url.path.startswith(API + "/"):
        return str(declared)
    return API + str(declared)
