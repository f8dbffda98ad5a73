"""Passwords (argon2), bearer tokens (signed, expiring), and who is asking."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from leadstreams.domain.contacts import normalise_email
from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.scopes import Scope
from leadstreams.errors import PermissionDenied, Unauthenticated
from leadstreams.schemas.common import text_problem
from leadstreams.services.context import Context
from leadstreams.store import users as users_store
from leadstreams.store.users import User

_hasher = PasswordHasher()
# A real hash to verify against when the e-mail is unknown: both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


@dataclass(frozen=True, slots=True)
class Principal:
    id: int
    email: str
    name: str
    role: Role
    team_ids: tuple[int, ...]
    # An API key's (domain/scopes.py); None for a person, whom the role alone bounds.
    scopes: frozenset[Scope] | None = None
    key_id: int | None = None

    def require(self, action: Action) -> None:
        if not may(self.role, action):
            raise PermissionDenied(f"the {self.role} role may not do this")

    @property
    def sees_all_leads(self) -> bool:
        return may(self.role, Action.SEE_ALL_LEADS)


def authenticate(ctx: Context, *, email: str, password: str) -> Principal:
    found = None
    if text_problem(email) is None:  # else no user has it (and PostgreSQL cannot compare it)
        with ctx.uow(read_only=True) as uow:
            found = users_store.credentials(uow.connection, email=normalise_email(email))
    try:
        _hasher.verify(found.password_hash if found else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        found = None
    if found is None or not found.user.active:
        raise Unauthenticated("wrong e-mail or password")
    return _principal(found.user)


def principal(ctx: Context, *, user_id: int) -> Principal:
    with ctx.uow(read_only=True) as uow:
        user = users_store.get(uow.connection, user_id=user_id)
    if user is None or not user.active:
        raise Unauthenticated("this account no longer exists or is disabled")
    return _principal(user)


def _principal(user: User) -> Principal:
    return Principal(user.id, user.email, user.name, user.role, user.team_ids)


class Tokens:
    """Bearer tokens: the user id, signed with the secret key, valid for `ttl` seconds."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="leadstreams.api-token")
        self._ttl = ttl_seconds

    def issue(self, user_id: int) -> str:
        return self._serializer.dumps({"uid": user_id})

    def read(self, token: str) -> tuple[int, float]:
        """The user id and when the token expires (seconds since the epoch)."""
        try:
            data, signed = self._serializer.loads(token, max_age=self._ttl, return_timestamp=True)
        except SignatureExpired as error:
            raise Unauthenticated("the token has expired; ask for a new one") from error
        except BadSignature as error:
            raise Unauthenticated("the token is not valid") from error
        user_id = data.get("uid") if isinstance(data, dict) else None
        if type(user_id) is not int:  # signed by us, so only an older or odd release's token
            raise Unauthenticated("the token is not valid")
        return user_id, signed.timestamp() + self._ttl


@dataclass(frozen=True, slots=True)
class _Remembered:
    principal: Principal
    until: float  # by the cache's clock (time.monotonic)
    token_expires: float  # time.time()
    generation: int


class Principals:
    """Who a bearer token stands for, remembered for up to `seconds` so that a busy client
    does not cost a user lookup per request. A change to users or teams committed in this
    process forgets everything at once (the use cases count it in `ctx.user_changes`); one
    made by another process (another server worker, the CLI) is seen within `seconds`. An
    expired token is never served."""

    LIMIT = 10_000  # remembered tokens; beyond this the memory starts over

    def __init__(
        self,
        ctx: Context,
        tokens: Tokens,
        *,
        seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._ctx = ctx
        self._clock = clock
        self._tokens = tokens
        self._seconds = seconds
        self._changes = ctx.user_changes
        self._remembered: dict[str, _Remembered] = {}
        # Lookups one at a time: when a busy token's entry runs out, the requests that miss it
        # together read the user once. (A lookup is rare: once per token per `seconds`.)
        self._looking_up = threading.Lock()

    def cached(self, token: str) -> Principal | None:
        """The principal if it is remembered and still good; no database work."""
        found = self._remembered.get(token)
        if found is None:
            return None
        if (
            found.generation != self._changes.generation
            or self._clock() >= found.until
            or time.time() >= found.token_expires
        ):
            self._remembered.pop(token, None)
            return None
        return found.principal

    def lookup(self, token: str) -> Principal:
        """Check the token and read the user (Unauthenticated if either is not good)."""
        with self._looking_up:
            return self.cached(token) or self._lookup(token)

    def _lookup(self, token: str) -> Principal:
        # The count is taken before the read: a change that commits after the read began
        # moves it, and what was read is not remembered (or is forgotten at the next request).
        generation = self._changes.generation
        user_id, token_expires = self._tokens.read(token)
        found = principal(self._ctx, user_id=user_id)
        if self._seconds > 0 and generation == self._changes.generation:
            if len(self._remembered) >= self.LIMIT:
                self._remembered.clear()
            until = self._clock() + self._seconds
            self._remembered[token] = _Remembered(found, until, token_expires, generation)
        return found
