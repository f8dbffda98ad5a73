"""Bearer tokens revoked and web sessions logged out before they expire, by their random id.

A row is kept until the credential would have expired by itself; older rows are removed as
new ones come."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.engine import Connection

from leadstreams.store.sql import InsertIgnoringConflicts
from leadstreams.store.tables import ended_credentials


def end(connection: Connection, *, credential_id: str, expires_at: datetime, now: datetime) -> None:
    connection.execute(delete(ended_credentials).where(ended_credentials.c.expires_at < now))
    row = {"id": credential_id, "expires_at": expires_at}
    connection.execute(InsertIgnoringConflicts(ended_credentials).values(**row))


def is_ended(connection: Connection, *, credential_id: str) -> bool:
    query = select(ended_credentials.c.id).where(ended_credentials.c.id == credential_id)
    return connection.scalar(query) is not None
