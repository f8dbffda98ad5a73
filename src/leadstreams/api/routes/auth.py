from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from leadstreams.api.deps import Ctx, LoginGuard, Who, bearer, client_address, get_tokens
from leadstreams.schemas.users import Token, UserRead
from leadstreams.services import auth, users
from leadstreams.services.auth import Tokens

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=Token)
async def issue_token(
    request: Request,
    ctx: Ctx,
    logins: LoginGuard,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange an e-mail (`username`) and password for a bearer token (valid
    `LEADSTREAMS_TOKEN_TTL_SECONDS`, an hour by default). Too many wrong passwords for an
    account or from an address answer 429 with `Retry-After`."""
    who = await logins.authenticate(
        ctx, email=form.username, password=form.password, address=client_address(request)
    )
    return Token(access_token=tokens.issue(who))


@router.post("/auth/revoke", status_code=204)
def revoke_token(
    ctx: Ctx,
    who: Who,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    token: Annotated[str | None, Depends(bearer)],
) -> Response:
    """End the bearer token this request carries, at once (it answers 401 from now on)."""
    assert token is not None  # `who` was found by it
    claims = tokens.read(token)
    auth.end_credential(
        ctx, credential_id=claims.token_id, expires_at=datetime.fromtimestamp(claims.expires, UTC)
    )
    return Response(status_code=204)


@router.get("/me", response_model=UserRead)
def me(ctx: Ctx, who: Who) -> UserRead:
    return users.get_user(ctx, user_id=who.id)
