"""API keys for systems (admins only): made, listed by prefix, revoked at once."""

from __future__ import annotations

from fastapi import APIRouter

from leadstreams.api.deps import Ctx, Hasher, Who
from leadstreams.domain.roles import Action
from leadstreams.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from leadstreams.schemas.common import Id
from leadstreams.services import api_keys

router = APIRouter(tags=["api keys"])


@router.post("/api-keys", status_code=201, response_model=ApiKeyCreated)
def create_api_key(ctx: Ctx, who: Who, hasher: Hasher, body: ApiKeyCreate) -> ApiKeyCreated:
    """The key is in the answer in full, this once; only a keyed hash of it is stored."""
    who.require(Action.MANAGE_API_KEYS)
    return api_keys.create_key(ctx, hasher=hasher, data=body, created_by=who.id)


@router.get("/api-keys", response_model=list[ApiKeyRead])
def list_api_keys(ctx: Ctx, who: Who) -> list[ApiKeyRead]:
    who.require(Action.MANAGE_API_KEYS)
    return api_keys.list_keys(ctx)


@router.delete("/api-keys/{key_id}", response_model=ApiKeyRead)
def revoke_api_key(ctx: Ctx, who: Who, key_id: Id) -> ApiKeyRead:
    """Revoked at once: the key answers 401 from the next request on."""
    who.require(Action.MANAGE_API_KEYS)
    return api_keys.revoke_key(ctx, key_id=key_id)
