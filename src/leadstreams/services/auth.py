"""Passwords (argon2), bearer tokens (signed, expiring), and who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import RowMapping
from sqlalchemy.engine import Connection

from leadstreams.domain.contacts import normalise_email
from leadstreams.domain.roles import Action, Role, may
from leadstreams.errors import PermissionDenied, Unauthenticated
from leadstreams.services.context import Context
from leadstreams.store import users as users_store

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

    def require(self, action: Action) -> None:
        if not may(self.role, action):
            raise PermissionDenied(f"the {self.role} role may not do this")

    @property
    def sees_all_leads(self) -> bool:
        return may(self.role, Action.SEE_ALL_LEADS)


def authenticate(ctx: Context, *, email: str, password: str) -> Principal:
    with ctx.uow(read_only=True) as uow:
        row = users_store.by_email(uow.connection, normalise_email(email))
        try:
            _hasher.verify(row["password_hash"] if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            row = None
        if row is None or not row["active"]:
            raise Unauthenticated("wrong e-mail or password")
        return _principal(uow.connection, row)


def principal(ctx: Context, *, user_id: int) -> Principal:
    with ctx.uow(read_only=True) as uow:
        row = users_store.get(uow.connection, user_id)
        if row is None or not row["active"]:
            raise Unauthenticated("this account no longer exists or is disabled")
        return _principal(uow.connection, row)


def _principal(connection: Connection, row: RowMapping) -> Principal:
    teams = tuple(users_store.team_ids_of(connection, row["id"]))
    return Principal(row["id"], row["email"], row["name"], Role(row["role"]), teams)


class Tokens:
    """Bearer tokens: the user id, signed with the secret key, valid for `ttl` seconds."""

    def __init__(self, secret_key: str, ttl_seconds: int) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="leadstreams.api-token")
        self._ttl = ttl_seconds

    def issue(self, user_id: int) -> str:
        return self._serializer.dumps({"uid": user_id})

    def user_id(self, token: str) -> int:
        try:
            data = self._serializer.loads(token, max_age=self._ttl)
        except SignatureExpired as error:
            raise Unauthenticated("the token has expired; ask for a new one") from error
        except BadSignature as error:
            raise Unauthenticated("the token is not valid") from error
        return int(data["uid"])
