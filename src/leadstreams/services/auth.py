"""Passwords (argon2), bearer tokens (signed, expiring), and who is asking."""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from leadstreams.domain.contacts import normalise_email
from leadstreams.domain.roles import Action, Role, may
from leadstreams.domain.scopes import Scope
from leadstreams.errors import PermissionDenied, Unauthenticated
from leadstreams.schemas.common import text_problem
from leadstreams.services.context import Context
from leadstreams.store import ended_credentials as ended_store
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
    credentials_version: int = 1  # of the user when read; see store.users.update_user
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
    return Principal(
        user.id, user.email, user.name, user.role, user.team_ids, user.credentials_version
    )


def credentials_principal(
    ctx: Context, *, user_id: int, credentials_version: int, credential_id: str
) -> Principal:
    """The user of a token or session, while that credential is good: not revoked or logged
    out (by its id), and made before the user's last change of password, role or state."""
    with ctx.uow(read_only=True) as uow:
        user = users_store.get(uow.connection, user_id=user_id)
        ended = ended_store.is_ended(uow.connection, credential_id=credential_id)
    if user is None or not user.active:
        raise Unauthenticated("this account no longer exists or is disabled")
    if ended or user.credentials_version != credentials_version:
        raise Unauthenticated("this token or session has been ended; log in again")
    return _principal(user)


def recheck(ctx: Context, who: Principal) -> Principal:
    """`who` as the database has it now, for what a long answer (the live feed) keeps doing:
    Unauthenticated once the user is disabled or their credentials ended; the teams of now.
    (An API key's principal is checked when the key is used.)"""
    if who.key_id is not None:
        return who
    with ctx.uow(read_only=True) as uow:
        user = users_store.get(uow.connection, user_id=who.id)
    if user is None or not user.active or user.credentials_version != who.credentials_version:
        raise Unauthenticated("this account's access has ended")
    return _principal(user)


def end_credential(ctx: Context, *, credential_id: str, expires_at: datetime) -> None:
    """Revoke a token or end a session at once, in every process (each reads it afresh
    within `principal_cache_seconds`; this one forgets what it remembered now)."""
    with ctx.uow() as uow:
        now = uow.clock.now()
        ended_store.end(uow.connection, credential_id=credential_id, expires_at=expires_at, now=now)
        uow.after_commit(ctx.user_changes.record)
        uow.commit()


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    credentials_version: int
    token_id: str  # random: what revoking it records
    expires: float  # seconds since the epoch


class Tokens:
    """Bearer tokens: the user, the user's credentials version and a random id, signed with
    the secret key, valid for `ttl` seconds."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="leadstreams.api-token")
        self._ttl = ttl_seconds

    def issue(self, user: Principal) -> str:
        claims = {"uid": user.id, "cv": user.credentials_version, "jti": secrets.token_hex(16)}
        return self._serializer.dumps(claims)

    def read(self, token: str) -> TokenClaims:
        """What the token says, if we signed it and it has not expired."""
        try:
            data, signed = self._serializer.loads(token, max_age=self._ttl, return_timestamp=True)
        except SignatureExpired as error:
            raise Unauthenticated("the token has expired; ask for a new one") from error
        except BadSignature as error:
            raise Unauthenticated("the token is not valid") from error
        claims = data if isinstance(data, dict) else {}
        user_id, version, token_id = claims.get("uid"), claims.get("cv"), claims.get("jti")
        if type(user_id) is not int or type(version) is not int or type(token_id) is not str:
            # signed by us: a token of an older release (or of a key leaked with its code)
            raise Unauthenticated("the token is not valid; ask for a new one")
        return TokenClaims(user_id, version, token_id, signed.timestamp() + self._ttl)


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
        claims = self._tokens.read(token)
        token_expires = claims.expires
        found = credentials_principal(
            self._ctx,
            user_id=claims.user_id,
            credentials_version=claims.credentials_version,
            credential_id=claims.token_id,
        )
        if self._seconds > 0 and generation == self._changes.generation:
            if len(self._remembered) >= self.LIMIT:
                self._remembered.clear()
            until = self._clock() + self._seconds
            self._remembered[token] = _Remembered(found, until, token_expires, generation)
        return found
