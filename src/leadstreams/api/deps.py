"""Dependencies of the routes: the services' context and who is asking.

They are `async def` where they do no blocking work: FastAPI runs a plain `def` dependency in
the thread pool, a hop that costs more than what these do.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer
from starlette.concurrency import run_in_threadpool

from leadstreams.errors import InvalidInput, Unauthenticated, printable
from leadstreams.schemas.common import text_problem
from leadstreams.services.auth import Principal, Principals, Tokens
from leadstreams.services.batcher import EventBatcher
from leadstreams.services.context import Context

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


Ctx = Annotated[Context, Depends(get_context)]
Batcher = Annotated[EventBatcher, Depends(get_batcher)]


async def current_user(
    request: Request, token: Annotated[str | None, Depends(bearer)]
) -> Principal:
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
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
