"""Dependencies of the routes: the services' context and who is asking."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from leadstreams.errors import Unauthenticated
from leadstreams.services import auth
from leadstreams.services.auth import Principal, Tokens
from leadstreams.services.context import Context

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_context(request: Request) -> Context:
    context: Context = request.app.state.ctx
    return context


def get_tokens(request: Request) -> Tokens:
    tokens: Tokens = request.app.state.tokens
    return tokens


Ctx = Annotated[Context, Depends(get_context)]


def current_user(
    ctx: Ctx,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    token: Annotated[str | None, Depends(_bearer)],
) -> Principal:
    if not token:
        raise Unauthenticated("send 'Authorization: Bearer <token>' (POST /api/v1/auth/token)")
    return auth.principal(ctx, user_id=tokens.user_id(token))


Who = Annotated[Principal, Depends(current_user)]
