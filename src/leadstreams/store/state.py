"""Small shared facts kept in the database: the secret key, the streams revision."""

from __future__ import annotations

import secrets

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from leadstreams.store.tables import app_state

SECRET_KEY = "secret_key"
STREAMS_REVISION = "streams_revision"


def get(connection: Connection, key: str) -> str | None:
    return connection.scalar(select(app_state.c.value).where(app_state.c.key == key))


def put(connection: Connection, key: str, value: str) -> None:
    done = connection.execute(update(app_state).where(app_state.c.key == key).values(value=value))
    if done.rowcount == 0:
        connection.execute(insert(app_state).values(key=key, value=value))


def ensure_secret_key(connection: Connection) -> str:
    key = get(connection, SECRET_KEY)
    if key is None:
        key = secrets.token_urlsafe(48)
        put(connection, SECRET_KEY, key)
    return key


def bump_streams_revision(connection: Connection) -> None:
    """Tells every process sharing the database to reload its index of live streams."""
    put(connection, STREAMS_REVISION, secrets.token_hex(8))


def streams_revision(connection: Connection) -> str:
    return get(connection, STREAMS_REVISION) or ""
