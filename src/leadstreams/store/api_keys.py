"""API keys: stored by a keyed hash, found by it, listed by prefix, revoked by a date."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.engine import Connection

from leadstreams.domain.scopes import Scope
from leadstreams.store.tables import api_keys


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    name: str
    prefix: str
    scopes: tuple[Scope, ...]
    created_by: int | None
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


_COLUMNS = tuple(api_keys.c[name] for name in ApiKey.__dataclass_fields__)


def _key(row: Any) -> ApiKey:
    values = dict(row._mapping)
    values["scopes"] = tuple(Scope(scope) for scope in values["scopes"])
    return ApiKey(**values)


def create(
    connection: Connection,
    *,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: tuple[Scope, ...],
    created_by: int | None,
    now: datetime,
) -> ApiKey:
    values = {"name": name, "prefix": prefix, "key_hash": key_hash, "created_at": now}
    values |= {"scopes": [str(scope) for scope in scopes], "created_by": created_by}
    row = connection.execute(insert(api_keys).values(**values).returning(*_COLUMNS)).one()
    return _key(row)


def listed(connection: Connection) -> list[ApiKey]:
    return [_key(row) for row in connection.execute(select(*_COLUMNS).order_by(api_keys.c.id))]


def by_hash(connection: Connection, *, key_hash: str) -> ApiKey | None:
    row = connection.execute(select(*_COLUMNS).where(api_keys.c.key_hash == key_hash)).first()
    return None if row is None else _key(row)


def get(connection: Connection, *, key_id: int) -> ApiKey | None:
    row = connection.execute(select(*_COLUMNS).where(api_keys.c.id == key_id)).first()
    return None if row is None else _key(row)


def revoke(connection: Connection, *, key_id: int, now: datetime) -> None:
    """Revoked now, unless it was before (the first date stays)."""
    connection.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def touch(connection: Connection, *, key_id: int, now: datetime, every: timedelta) -> bool:
    """Records a use, unless one was recorded less than `every` ago (by any process)."""
    result = connection.execute(
        update(api_keys)
        .where(
            api_keys.c.id == key_id,
            or_(api_keys.c.last_used_at.is_(None), api_keys.c.last_used_at <= now - every),
        )
        .values(last_used_at=now)
    )
    return result.rowcount > 0
