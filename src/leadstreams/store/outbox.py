"""Reading the outbox: what changed after a given row, for live feeds."""

from __future__ import annotations

from sqlalchemy import RowMapping, func, select
from sqlalchemy.engine import Connection

from leadstreams.store.tables import outbox


def latest_id(connection: Connection) -> int:
    return connection.scalar(select(func.max(outbox.c.id))) or 0


def after(connection: Connection, *, last_id: int, limit: int) -> list[RowMapping]:
    query = select(outbox).where(outbox.c.id > last_id).order_by(outbox.c.id).limit(limit)
    return list(connection.execute(query).mappings())
