"""API keys for systems: made by an admin, shown once, kept as a keyed hash, revoked at once.

A key is random (32 bytes), so a fast keyed hash (HMAC-SHA256 with the secret key) is as
safe to store as argon2 would be, and costs microseconds on every request instead of a
tenth of a second. Who a key stands for is remembered like a bearer token's user
(`KeyPrincipals`); revoking it counts as a change to users (`ctx.user_changes`), so this
process forgets it at once and the others within `principal_cache_seconds`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from leadstreams.domain.roles import Role
from leadstreams.domain.scopes import KEY_PREFIX, SHOWN_PREFIX_LENGTH
from leadstreams.errors import NotFound, Unauthenticated
from leadstreams.schemas.api_keys import ApiKeyCreate, ApiKeyCreated, ApiKeyRead
from leadstreams.services.auth import Principal
from leadstreams.services.context import Context
from leadstreams.store import api_keys as keys_store
from leadstreams.store.api_keys import ApiKey

TOUCH_EVERY = timedelta(minutes=1)  # last_used_at: at most one write a minute per key


class KeyHasher:
    def __init__(self, secret_key: str) -> None:
        self._secret = secret_key.encode()

    def hash(self, key: str) -> str:
        return hmac.new(self._secret, key.encode(), hashlib.sha256).hexdigest()


def _read(key: ApiKey) -> ApiKeyRead:
    return ApiKeyRead.model_validate(key, from_attributes=True)


def create_key(
    ctx: Context, *, hasher: KeyHasher, data: ApiKeyCreate, created_by: int | None
) -> ApiKeyCreated:
    """A new key; the answer holds it in full, and nothing will show it again."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        made = keys_store.create(
            uow.connection, name=data.name, prefix=key[:SHOWN_PREFIX_LENGTH],
            key_hash=hasher.hash(key), scopes=tuple(data.scopes), created_by=created_by,
            now=uow.clock.now(),
        )  # fmt: skip
        uow.commit()
    return ApiKeyCreated(**_read(made).model_dump(), key=key)


def list_keys(ctx: Context) -> list[ApiKeyRead]:
    with ctx.uow(read_only=True) as uow:
        return [_read(key) for key in keys_store.listed(uow.connection)]


def revoke_key(ctx: Context, *, key_id: int) -> ApiKeyRead:
    """Refused from now on, by this process at once (the cache forgets on the commit)."""
    with ctx.uow() as uow:
        keys_store.revoke(uow.connection, key_id=key_id, now=uow.clock.now())
        found = keys_store.get(uow.connection, key_id=key_id)
        if found is None:
            raise NotFound(f"no API key with id {key_id}")
        uow.after_commit(ctx.user_changes.record)
        uow.commit()
    return _read(found)


def key_principal(key: ApiKey) -> Principal:
    """A key acts with the marketing role's reach (every lead, no users), bounded by its
    scopes, which the API checks before anything else (domain/scopes.py)."""
    return Principal(
        id=0, email="", name=f"API key {key.name}", role=Role.MARKETING, team_ids=(),
        scopes=frozenset(key.scopes), key_id=key.id,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Remembered:
    principal: Principal
    until: float  # by the cache's clock
    generation: int


class KeyPrincipals:
    """Who an API key stands for, remembered for up to `seconds` (as `auth.Principals`
    remembers tokens), and when each key was last used, written at most once a minute."""

    LIMIT = 10_000

    def __init__(
        self,
        ctx: Context,
        hasher: KeyHasher,
        *,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx, self._hasher, self._seconds, self._clock = ctx, hasher, seconds, clock
        self._changes = ctx.user_changes
        self._remembered: dict[str, _Remembered] = {}
        self._touched: dict[int, float] = {}  # key id -> when its use was last written
        self._lock = threading.Lock()

    def cached(self, key: str) -> Principal | None:
        found = self._remembered.get(key)
        if found is None:
            return None
        if found.generation != self._changes.generation or self._clock() >= found.until:
            self._remembered.pop(key, None)
            return None
        return found.principal

    def lookup(self, key: str) -> Principal:
        """Unauthenticated for an unknown or revoked key."""
        generation = self._changes.generation  # taken first: see auth.Principals._lookup
        with self._ctx.uow(read_only=True) as uow:
            found = keys_store.by_hash(uow.connection, key_hash=self._hasher.hash(key))
        if found is None or found.revoked_at is not None:
            raise Unauthenticated("the API key is not valid, or has been revoked")
        principal = key_principal(found)
        if self._seconds > 0 and generation == self._changes.generation:
            if len(self._remembered) >= self.LIMIT:
                self._remembered.clear()
            until = self._clock() + self._seconds
            self._remembered[key] = _Remembered(principal, until, generation)
        return principal

    def use_is_due(self, principal: Principal) -> bool:
        """Whether this use of the key should be written (once a minute per key)."""
        assert principal.key_id is not None
        last = self._touched.get(principal.key_id)
        return last is None or self._clock() - last >= TOUCH_EVERY.total_seconds()

    def record_use(self, principal: Principal) -> None:
        assert principal.key_id is not None
        with self._lock:  # one write per key even when its requests arrive together
            if not self.use_is_due(principal):
                return
            self._touched[principal.key_id] = self._clock()
        with self._ctx.uow() as uow:
            now = uow.clock.now()
            keys_store.touch(uow.connection, key_id=principal.key_id, now=now, every=TOUCH_EVERY)
            uow.commit()
