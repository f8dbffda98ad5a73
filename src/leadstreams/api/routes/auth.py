from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from leadstreams.api.deps import Ctx, Who, get_tokens
from leadstreams.schemas.users import Token, UserRead
from leadstreams.services import auth, users
from leadstreams.services.auth import Tokens

router = APIRouter(tags=["auth"])


@router.post("/auth/token", response_model=Token)
def issue_token(
    ctx: Ctx,
    tokens: Annotated[Tokens, Depends(get_tokens)],
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
) -> Token:
    """Exchange an e-mail (`username`) and password for a bearer token."""
    who = auth.authenticate(ctx, email=form.username, password=form.password)
    return Token(access_token=tokens.issue(who.id))


@router.get("/me", response_model=UserRead)
def me(ctx: Ctx, who: Who) -> UserRead:
    return users.get_user(ctx, user_id=who.id)
